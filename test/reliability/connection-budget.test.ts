/**
 * The connection budget, simulated: Lambda instances are separate processes with one connection
 * each (pool max 1), so connections = instances. A PostgreSQL started with a small max_connections
 * stands in for a db.t4g.micro. Uncapped, more instances than slots: the excess must get 503 with
 * Retry-After — never a 500 — and nothing acknowledged may be lost. Capped by the reserved
 * concurrency the CDK app derives from the same headroom (infra/settings.ts), with the headroom's
 * own connections (migrations, rotations, sweep, a human) open at the same time: no error at all.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionHeadroom } from '../../infra/settings.ts';
import { migrateDatabase, type RunningPostgres, startEmbeddedPostgres } from '../../scripts/local/database.ts';
import { actingAs, buildTask, createTestHandler, uniqueEmail } from '../support/factories.ts';

const maxConnections = 20;
const headroom = Object.values(connectionHeadroom).reduce((sum, value) => sum + value, 0);
/** What the stack would reserve for the API on this server: one instance per connection it may take. */
const reservedConcurrency = maxConnections - headroom;
const requestsPerInstance = 6;

let postgres: RunningPostgres;
let superuser: pg.Client;
let appUrl: string;

beforeAll(async () => {
  postgres = await startEmbeddedPostgres({
    postgresFlags: ['-c', `max_connections=${maxConnections}`, '-c', 'fsync=off'],
  });
  const databaseUrl = await postgres.createDatabase('taskboard_budget');
  await migrateDatabase(databaseUrl);
  superuser = new pg.Client({ connectionString: databaseUrl });
  await superuser.connect();
  // The API logs in as an ordinary role, as deployed: the superuser-reserved slots are not its to take.
  await superuser.query("CREATE ROLE budget_app LOGIN PASSWORD 'budget'");
  await superuser.query('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO budget_app');
  const url = new URL(databaseUrl);
  url.username = 'budget_app';
  url.password = 'budget';
  appUrl = url.toString();
}, 60_000);

afterAll(async () => {
  await superuser?.end();
  await postgres?.stop();
});

interface Run {
  statuses: Map<number, number>;
  missingRetryAfter: number;
  acknowledged: string[];
}

/** `instances` Lambda-like instances, each with its own handler and caller, all sending requests at once. */
async function simulate(instances: number): Promise<Run> {
  const handlers = Array.from({ length: instances }, () =>
    createTestHandler({ databaseUrl: appUrl, env: { DB_POOL_MAX: '1', DB_CONNECTION_TIMEOUT_MS: '1000' } }),
  );
  // Callers are registered beforehand, through the superuser's connection, so that every request counted is the load's.
  const callers = handlers.map((handler) => actingAs(handler, uniqueEmail('instance')));
  for (const caller of callers) {
    await superuser.query(
      "INSERT INTO users (cognito_sub, email, name) VALUES ($1, $2, 'Instance') ON CONFLICT DO NOTHING",
      [caller.claims.sub, caller.email],
    );
  }
  const run: Run = { statuses: new Map(), missingRetryAfter: 0, acknowledged: [] };
  await Promise.all(
    callers.map(async (caller) => {
      for (let turn = 0; turn < requestsPerInstance; turn += 1) {
        const response =
          turn % 2 === 0
            ? await caller.call<{ id: string }>('POST', '/tasks', {
                body: buildTask(),
                headers: { 'Idempotency-Key': randomUUID() },
              })
            : await caller.call('GET', '/tasks');
        run.statuses.set(response.status, (run.statuses.get(response.status) ?? 0) + 1);
        if (response.status === 503 && !/^\d+$/.test(response.headers['retry-after'] ?? '')) run.missingRetryAfter += 1;
        if (response.status === 201) run.acknowledged.push((response.body as { id: string }).id);
      }
    }),
  );
  await Promise.all(handlers.map((handler) => handler.close()));
  return run;
}

/**
 * The headroom's own sessions (migrations, rotations, sweep), logged in as ordinary roles; the
 * test's superuser connection is the human with psql. Waits first for the previous run's
 * connections to be gone.
 */
async function openHeadroomSessions(): Promise<pg.Client[]> {
  for (let tries = 0; tries < 100; tries += 1) {
    const { rows } = await superuser.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'budget_app'",
    );
    if (rows[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const count = headroom - connectionHeadroom.superuserReserved - connectionHeadroom.human;
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: appUrl }));
  await Promise.all(clients.map((client) => client.connect()));
  return clients;
}

async function stored(ids: string[]): Promise<number> {
  const { rows } = await superuser.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1::uuid[])',
    [ids],
  );
  return rows[0]?.n ?? 0;
}

const summary = (label: string, instances: number, run: Run) =>
  `${label}: ${instances} instances × ${requestsPerInstance} requests on max_connections=${maxConnections} → ${[
    ...run.statuses,
  ]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${count} × ${status}`)
    .join(', ')}`;

describe('the connection budget', () => {
  it('when more instances than connection slots send requests, the excess gets 503 with Retry-After, never 500, and every 201 is stored', async () => {
    // Arrange
    const instances = maxConnections + 10;

    // Act
    const run = await simulate(instances);
    console.log(summary('uncapped', instances, run));

    // Assert
    expect([...run.statuses.keys()].every((status) => [200, 201, 503].includes(status))).toBe(true);
    expect(run.statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(run.missingRetryAfter).toBe(0);
    expect(await stored(run.acknowledged)).toBe(run.acknowledged.length);
  });

  it(`when concurrency is capped at the reserved ${reservedConcurrency}, with the headroom's sessions open too, no request fails`, async () => {
    // Arrange
    const headroomSessions = await openHeadroomSessions();

    // Act
    const run = await simulate(reservedConcurrency);
    console.log(summary(`capped (headroom ${headroom} held)`, reservedConcurrency, run));
    await Promise.all(headroomSessions.map((client) => client.end()));

    // Assert
    expect([...run.statuses.keys()].sort()).toEqual([200, 201]);
    expect(await stored(run.acknowledged)).toBe(run.acknowledged.length);
  });
});
