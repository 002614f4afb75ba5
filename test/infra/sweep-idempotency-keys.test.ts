import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { idempotencyRetentionHours } from '../../handlers/runtime/idempotency-retention.ts';
import {
  createHandler,
  sweepBatchSize,
  sweepBatchSql,
  sweepExpiredKeys,
} from '../../infra/functions/sweep-idempotency-keys.ts';
import { migrateDatabase, type RunningPostgres, startEmbeddedPostgres } from '../../scripts/local/database.ts';

/** Inserts `count` keys created `hoursAgo` hours ago, under one scope. */
const insertKeys = (client: pg.Client, scope: string, count: number, hoursAgo: number) =>
  client.query(
    `INSERT INTO idempotency_keys (scope, operation_id, key, fingerprint, response, created_at)
     SELECT $1, 'createTask', 'key-' || n, 'fp', '{}'::json, now() - make_interval(hours => $2) - n * interval '1 ms'
     FROM generate_series(1, $3) AS n`,
    [scope, hoursAgo, count],
  );

const countByScope = async (client: pg.Client) =>
  Object.fromEntries(
    (
      await client.query<{ scope: string; count: string }>(
        'SELECT scope, count(*) FROM idempotency_keys GROUP BY scope ORDER BY scope',
      )
    ).rows.map((row) => [row.scope, Number(row.count)]),
  );

describe('sweepExpiredKeys', () => {
  let postgres: RunningPostgres;
  let url: string;
  let client: pg.Client;

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
    url = await postgres.createDatabase('sweep');
    await migrateDatabase(url);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await postgres?.stop();
  });
  beforeEach(async () => {
    await client.query('TRUNCATE idempotency_keys');
  });

  it('deletes only the keys older than the retention window, in batches until one comes back short', async () => {
    await insertKeys(client, 'expired', 2 * sweepBatchSize + 500, idempotencyRetentionHours + 1);
    await insertKeys(client, 'fresh', 300, idempotencyRetentionHours - 1);
    const query = vi.spyOn(client, 'query');

    const result = await sweepExpiredKeys(client);

    expect(result).toEqual({ deleted: 2 * sweepBatchSize + 500, batches: 3 });
    expect(query).toHaveBeenCalledTimes(3);
    for (const [sql, values] of query.mock.calls as unknown as [string, unknown[]][]) {
      expect(sql).toBe(sweepBatchSql);
      expect(values).toEqual([idempotencyRetentionHours, sweepBatchSize]);
    }
    query.mockRestore();
    expect(await countByScope(client)).toEqual({ fresh: 300 });
  });

  it('stops after maxBatches and leaves the rest to the next run', async () => {
    await insertKeys(client, 'expired', 50, idempotencyRetentionHours + 2);

    const first = await sweepExpiredKeys(client, { batchSize: 10, maxBatches: 2 });
    const second = await sweepExpiredKeys(client, { batchSize: 10 });

    expect(first).toEqual({ deleted: 20, batches: 2 });
    expect(second).toEqual({ deleted: 30, batches: 4 });
    expect(await countByScope(client)).toEqual({});
  });

  it('finds the batch through idempotency_keys_created_at_idx and deletes it by TID, never scanning the table (EXPLAIN)', async () => {
    await insertKeys(client, 'expired', 5000, idempotencyRetentionHours + 1);
    await insertKeys(client, 'fresh', 20_000, 1);
    await client.query('ANALYZE idempotency_keys');

    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sweepBatchSql}`, [
      idempotencyRetentionHours,
      sweepBatchSize,
    ]);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');

    expect(plan).toMatch(/Index (Only )?Scan using idempotency_keys_created_at_idx/);
    expect(plan).toMatch(/Tid Scan on idempotency_keys/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('the Lambda handler reads the application secret, connects with it and sweeps', async () => {
    await insertKeys(client, 'expired', 5, idempotencyRetentionHours + 1);
    await insertKeys(client, 'fresh', 2, 0);
    const server = new URL(url);
    const secret = JSON.stringify({
      username: decodeURIComponent(server.username),
      password: decodeURIComponent(server.password),
      host: server.hostname,
      port: Number(server.port),
      dbname: 'sweep',
    });
    const secretRead = vi.fn(async (_arn: string) => secret);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);

    const result = await createHandler(secretRead, { DB_SECRET_ARN: 'arn:app', DB_SSL: 'off' })();

    log.mockRestore();
    expect(secretRead).toHaveBeenCalledWith('arn:app');
    expect(result).toEqual({ deleted: 5, batches: 1 });
    expect(await countByScope(client)).toEqual({ fresh: 2 });
  });
});
