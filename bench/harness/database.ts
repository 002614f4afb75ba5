/**
 * The bench's PostgreSQL: an embedded PostgreSQL 17 with durability off (fsync, synchronous
 * commit, full-page writes: numbers for relative comparison, not for capacity planning), or
 * throw-away databases on the server DATABASE_URL names. Plus the bench's users and rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { components } from '#generated/api.ts';
import { createDatabase, dropDatabase, migrateDatabase, startEmbeddedPostgres } from '#local/database.ts';
import { localSubject } from '#local/identity.ts';

/** A migrated database of the bench, with the bench's own connection to it. */
export interface BenchDatabase {
  url: string;
  /** The bench's connection (application_name `taskboard-bench`, never counted as the API's). */
  client: pg.Client;
}

/** The PostgreSQL server the bench runs against. */
export interface BenchServer {
  /** What the numbers ran against, for the report. */
  description: string;
  /** For an embedded server, the bench's administrative connection to it (to find its processes). */
  embedded: pg.Client | undefined;
  /** Creates and migrates a database (a throw-away one, dropped by `close`, on DATABASE_URL's server). */
  createDatabase(label: string): Promise<BenchDatabase>;
  close(): Promise<void>;
}

const durabilityOff = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'taskboard-bench' });
  await client.connect();
  // Seeding a million rows takes longer than the API's statement timeout (a database setting).
  await client.query('SET statement_timeout = 0');
  return client;
}

/** Starts an embedded PostgreSQL 17, or connects to the server `serverUrl` names. */
export async function openBenchServer(serverUrl: string | undefined): Promise<BenchServer> {
  const postgres = serverUrl ? undefined : await startEmbeddedPostgres({ postgresFlags: durabilityOff });
  const adminUrl = serverUrl ?? postgres?.url ?? '';
  const admin = await connect(adminUrl);
  const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
  const version = rows[0]?.server_version ?? 'unknown';
  const suffix = randomBytes(4).toString('hex');
  const created: Array<{ name: string; client: pg.Client }> = [];
  return {
    description: postgres
      ? `embedded PostgreSQL ${version} on loopback, fsync=off, synchronous_commit=off, full_page_writes=off (bench settings: relative numbers, not durability)`
      : `PostgreSQL ${version} from DATABASE_URL (throw-away databases taskboard_bench_*_${suffix}, server settings as configured)`,
    embedded: postgres ? admin : undefined,
    async createDatabase(label) {
      const name = `taskboard_bench_${label}_${suffix}`;
      const url = await createDatabase(adminUrl, name);
      await migrateDatabase(url);
      const client = await connect(url);
      created.push({ name, client });
      return { url, client };
    },
    async close() {
      for (const { name, client } of created) {
        await client.end();
        if (!postgres) await dropDatabase(adminUrl, name);
      }
      await admin.end();
      await postgres?.stop();
    },
  };
}

/** Registers a user as `registerUser` would; returns their id. */
export async function registerBenchUser(
  client: pg.Client,
  email: string,
  role: 'user' | 'admin' = 'user',
): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO users (cognito_sub, email, name, role) VALUES ($1, $2, $3, $4)
     ON CONFLICT (cognito_sub) DO UPDATE SET email = EXCLUDED.email
     RETURNING id`,
    [localSubject(email), email, email.split('@')[0], role],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error(`Could not register ${email}`);
  return id;
}

/**
 * Gives `ownerId` the tasks numbered `from`..`to` in one INSERT … SELECT: task n is n/2 seconds
 * older than a fixed instant (pairs share a timestamp, so the id tie-break is exercised), with
 * statuses and priorities spread evenly.
 */
export async function seedTasks(client: pg.Client, ownerId: string, from: number, to: number): Promise<void> {
  // Typed from the spec, so a renamed status or priority fails tsc instead of seeding bad rows.
  const statuses = ['todo', 'in_progress', 'done'] satisfies Array<components['schemas']['TaskStatus']>;
  const priorities = ['low', 'medium', 'high'] satisfies Array<components['schemas']['TaskPriority']>;
  await client.query(
    `INSERT INTO tasks (owner_id, title, description, status, priority, due_date, created_at, updated_at)
     SELECT $1, 'Task ' || n, 'Seeded by the bench.',
            ($4::text[])[1 + n % 3],
            ($5::text[])[1 + (n / 3) % 3],
            CASE WHEN n % 4 = 0 THEN date '2026-06-30' - (n % 365) END,
            timestamptz '2026-01-01 00:00:00+00' - make_interval(secs => n / 2),
            timestamptz '2026-01-01 00:00:00+00' - make_interval(secs => n / 2)
     FROM generate_series($2::int, $3::int) AS n`,
    [ownerId, from, to, statuses, priorities],
  );
}
