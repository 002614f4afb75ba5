/**
 * Timestamps: the runtime reads a timestamptz as the API's text (`timestamptzText`, db.ts) instead
 * of a Date. Against what the API wrote before it did (`Date#toISOString` of pg's Date), in a UTC
 * session (the database's setting) and in others; through the runtime's database; and
 * `isoTimestamp` on the forms a statement, a stored replay and a Date hand it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '#runtime/config.ts';
import { createDatabase, timestamptzText } from '#runtime/db.ts';
import { isoTimestamp } from '#runtime/http.ts';
import { createLogger } from '#runtime/logger.ts';
import { createSecretReader } from '#runtime/secrets.ts';

let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
});

afterAll(async () => {
  await client.end();
});

const instants = [
  '2026-12-02 16:26:32.325+00',
  '2026-12-31 23:59:59.999+00',
  '2027-01-01 00:00:00+00',
  '2024-02-29 12:00:00.5+00',
  '2024-02-29 12:00:00.05+00',
  '1999-12-31 23:00:00.001-05',
  '2026-03-29 01:30:00.07+01',
  '1850-06-01 12:00:00+00',
];

describe('timestamps', () => {
  it.each(['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam'])(
    'read as text come out exactly as Date#toISOString writes them, in session time zone %s',
    async (zone) => {
      // SET LOCAL: through PgBouncer (the pooler project) a session setting would outlive the test.
      // The transaction ends whatever the assertions say: a failed one must not leave the zone set.
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL TIME ZONE '${zone}'`);
        for (const instant of instants) {
          const { rows } = await client.query<{ text: string; date: Date }>(
            'SELECT v.at::text AS text, v.at AS date FROM (SELECT date_trunc($2, $1::timestamptz) AS at) v',
            [instant, 'milliseconds'],
          );
          const [row] = rows;
          expect(timestamptzText(row?.text as string), `${instant} read as ${row?.text}`).toBe(row?.date.toISOString());
        }
      } finally {
        await client.query('ROLLBACK');
      }
    },
  );

  it('arrive from the runtime database as the API form, not as Dates', async () => {
    const db = createDatabase(loadConfig({ DATABASE_URL: inject('databaseUrl') }).database, {
      log: createLogger('error'),
      secrets: createSecretReader(),
      retryAfterSeconds: 1,
    });
    try {
      const [row] = await db.query<{ at: unknown; late: unknown; day: unknown; ides: unknown }>(
        `SELECT '2026-12-02 16:26:32.325+00'::timestamptz AS at, '2026-12-02 16:26:32+05:30'::timestamptz AS late,
                '2024-02-29'::date AS day, '0044-03-15'::date AS ides`,
      );
      expect(row).toEqual({
        at: '2026-12-02T16:26:32.325Z',
        late: '2026-12-02T10:56:32.000Z',
        day: '2024-02-29',
        ides: '0044-03-15',
      });
    } finally {
      await db.end();
    }
  });

  it('keep the API form, and are re-formatted from stored JSON or a Date', async () => {
    const { rows } = await client.query<{ json: { at: string } }>(
      "SELECT json_build_object('at', '2026-12-02 16:26:32.325+05:30'::timestamptz) AS json",
    );
    const stored = rows[0]?.json.at as string;
    expect(stored).not.toMatch(/Z$/);
    expect(isoTimestamp(stored)).toBe('2026-12-02T10:56:32.325Z');
    expect(isoTimestamp('2026-12-02T10:56:32.325Z')).toBe('2026-12-02T10:56:32.325Z');
    expect(isoTimestamp(new Date(Date.UTC(2026, 11, 2, 10, 56, 32, 325)))).toBe('2026-12-02T10:56:32.325Z');
  });
});
