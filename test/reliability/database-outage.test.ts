/**
 * Database outage under load. The test starts its own embedded PostgreSQL (never the shared one),
 * migrates it and serves the API on it through the local API Gateway with short database timeouts.
 * Eight clients send a mix of creates and reads; one second in, PostgreSQL is stopped; two seconds
 * later it is started again on the same port and data; the load goes on for three more seconds.
 * The scenario runs once (beforeAll) and each test below asserts one property of the recorded run.
 * A second scenario puts the API on a database that accepts connections and never answers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, type RunningPostgres, startEmbeddedPostgres } from '../../scripts/local/database.ts';
import { createContract } from '../support/contract.ts';
import { createTestHandler } from '../support/factories.ts';
import { type RegisteredUser, registerUser, type ServedApi, serve, tokenFor } from './support/api.ts';
import { jsonRequest, type RawRequest, type RawResponse } from './support/http.ts';

const connectionTimeoutMs = 1000;
const statementTimeoutMs = 1000;
/**
 * The bound on an answer during the outage: the connection timeout plus slack for a loaded 2-core
 * runner. It tells "fails fast" from "hangs" (without timeouts a request waits for TCP, minutes).
 */
const latencyBoundMs = connectionTimeoutMs + 2000;
const recoveryBoundMs = 5000;
const clients = 8;

interface Exchange {
  operationId: 'createTask' | 'listTasks' | 'getTask' | 'getHealth';
  request: RawRequest;
  response: RawResponse;
  startedAt: number;
  endedAt: number;
}

const contract = createContract();

type Outage = 'a clean stop' | 'SIGKILL';

/** One recorded run: the load before, during and after the outage, and when each phase began. */
interface Scenario {
  postgres: RunningPostgres;
  api: ServedApi;
  databaseUrl: string;
  exchanges: Exchange[];
  timeline: { stopping: number; stopped: number; restarting: number; restarted: number };
}

/** One client's loop: creates (with an Idempotency-Key) and reads, as one user, until told to stop. */
async function client(api: ServedApi, exchanges: Exchange[], user: RegisteredUser, running: () => boolean) {
  const created: string[] = [];
  for (let turn = 0; running(); turn += 1) {
    const kind = (['createTask', 'listTasks', 'createTask', 'getTask', 'getHealth'] as const)[turn % 5] ?? 'getHealth';
    const request =
      kind === 'createTask'
        ? jsonRequest('POST', '/tasks', {
            token: user.token,
            body: { title: `Outage ${turn}` },
            headers: { 'Idempotency-Key': randomUUID() },
          })
        : kind === 'listTasks'
          ? jsonRequest('GET', '/tasks?limit=5', { token: user.token })
          : kind === 'getTask'
            ? jsonRequest('GET', `/tasks/${created.at(-1) ?? randomUUID()}`, { token: user.token })
            : jsonRequest('GET', '/health');
    const startedAt = performance.now();
    const response = await api.client.send(request);
    const endedAt = performance.now();
    if (kind === 'createTask' && response.status === 201) created.push(String(response.json?.id));
    exchanges.push({ operationId: kind, request, response, startedAt, endedAt });
  }
}

/** Runs the scenario: load, one second in the database goes away (`outage`), two seconds later it comes back. */
async function runOutage(outage: Outage): Promise<Scenario> {
  const postgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
  const databaseUrl = await postgres.createDatabase('taskboard_outage');
  await migrateDatabase(databaseUrl);
  const api = await serve(
    createTestHandler({
      databaseUrl,
      env: {
        DB_CONNECTION_TIMEOUT_MS: String(connectionTimeoutMs),
        DB_STATEMENT_TIMEOUT_MS: String(statementTimeoutMs),
        RETRY_AFTER_SECONDS: '1',
      },
    }),
    { maxSockets: clients },
  );
  const users = await Promise.all(
    Array.from({ length: clients }, (_, index) => registerUser(api.client, `load${index}`)),
  );
  const exchanges: Exchange[] = [];
  const timeline = { stopping: 0, stopped: 0, restarting: 0, restarted: 0 };
  let running = true;
  const load = Promise.all(users.map((user) => client(api, exchanges, user, () => running)));
  await sleep(1000);
  timeline.stopping = performance.now();
  if (outage === 'SIGKILL') await postgres.crash();
  else await postgres.stop({ keepData: true });
  timeline.stopped = performance.now();
  await sleep(2000);
  timeline.restarting = performance.now();
  await postgres.restart();
  timeline.restarted = performance.now();
  await sleep(3000);
  running = false;
  await load;
  return { postgres, api, databaseUrl, exchanges, timeline };
}

const describeExchange = (exchange: Exchange) =>
  `${exchange.operationId} ${exchange.request.method} ${exchange.request.path} → ${exchange.response.status} in ${Math.round(exchange.endedAt - exchange.startedAt)} ms`;

describe.each<Outage>(['a clean stop', 'SIGKILL'])('database outage by %s', (outage) => {
  let scenario: Scenario;
  beforeAll(async () => {
    scenario = await runOutage(outage);
  }, 60_000);

  afterAll(async () => {
    await scenario?.api.close();
    await scenario?.postgres.stop();
  });

  /** Exchanges that started and ended while the database was down: each must be a 503. */
  const duringOutage = () => {
    const exchanges = scenario.exchanges.filter(
      (exchange) => exchange.startedAt >= scenario.timeline.stopped && exchange.endedAt <= scenario.timeline.restarting,
    );
    // Each test reads the recorded run on its own (`-t` may run one): an empty outage proves nothing.
    expect(exchanges.length, 'exchanges answered during the outage').toBeGreaterThan(20);
    return exchanges;
  };
  /**
   * Every exchange that started while the database was down, however late it ended: a request
   * that hangs through the restart belongs here, not outside the window.
   */
  const startedDuringOutage = () =>
    scenario.exchanges.filter(
      (exchange) =>
        exchange.startedAt >= scenario.timeline.stopping && exchange.startedAt < scenario.timeline.restarting,
    );

  it('kept the clients busy before, during and after the outage', () => {
    expect(
      scenario.exchanges.filter((exchange) => exchange.endedAt < scenario.timeline.stopping).length,
    ).toBeGreaterThan(20);
    expect(startedDuringOutage().length).toBeGreaterThan(20);
    expect(
      scenario.exchanges.filter((exchange) => exchange.startedAt > scenario.timeline.restarted).length,
    ).toBeGreaterThan(20);
  });

  it('answers every request during the outage with 503 problem+json and a Retry-After, as the spec documents', () => {
    for (const exchange of duringOutage()) {
      expect(exchange.response.status, describeExchange(exchange)).toBe(503);
      expect(exchange.response.headers.get('content-type')).toBe('application/problem+json');
      expect(exchange.response.headers.get('retry-after')).toBe('1');
      contract.check(exchange.operationId, exchange.response);
    }
  });

  it(`answers within the connection timeout plus a margin (${latencyBoundMs} ms) during the outage: no request hangs`, () => {
    const exchanges = startedDuringOutage();
    const slowest = exchanges.reduce(
      (worst, exchange) => (exchange.endedAt - exchange.startedAt > worst.endedAt - worst.startedAt ? exchange : worst),
      exchanges[0] as Exchange,
    );
    expect(exchanges.length).toBeGreaterThan(20);
    expect(slowest.endedAt - slowest.startedAt, describeExchange(slowest)).toBeLessThan(latencyBoundMs);
  });

  it('never answers 500 or 502, before, during or after the outage; every answer is documented', () => {
    for (const exchange of scenario.exchanges) {
      expect([200, 201, 404, 503], describeExchange(exchange)).toContain(exchange.response.status);
      contract.check(exchange.operationId, exchange.response);
    }
  });

  it(`recovers within ${recoveryBoundMs / 1000} s of the database coming back, without restarting the handler`, () => {
    const after = scenario.exchanges
      .filter((exchange) => exchange.startedAt >= scenario.timeline.restarted)
      .sort((a, b) => a.startedAt - b.startedAt);
    const lastFailure = after.findLastIndex((exchange) => exchange.response.status >= 500);
    const firstOfRecovery = after[lastFailure + 1];
    expect(firstOfRecovery, 'no request succeeded after the restart').toBeDefined();
    expect((firstOfRecovery?.endedAt ?? Number.POSITIVE_INFINITY) - scenario.timeline.restarted).toBeLessThan(
      recoveryBoundMs,
    );
    expect(after.length - (lastFailure + 1)).toBeGreaterThan(20);
  });

  it('keeps every create acknowledged with 201 before, during or after the outage', async () => {
    const acknowledged = scenario.exchanges
      .filter((exchange) => exchange.operationId === 'createTask' && exchange.response.status === 201)
      .map((exchange) => String(exchange.response.json?.id));
    const db = new pg.Client({ connectionString: scenario.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ id: string }>('SELECT id FROM tasks WHERE id = ANY($1::uuid[])', [acknowledged]);
    await db.end();
    expect(acknowledged.length).toBeGreaterThan(10);
    expect(rows.map((row) => row.id).sort()).toEqual([...acknowledged].sort());
  });

  it('creates each task exactly once when every create that got a 503 is retried with its Idempotency-Key', async () => {
    // Arrange
    const creates = scenario.exchanges.filter((exchange) => exchange.operationId === 'createTask');
    const failed = creates.filter((exchange) => exchange.response.status === 503);

    // Act
    const retries = await Promise.all(failed.map((exchange) => scenario.api.client.send(exchange.request)));
    const db = new pg.Client({ connectionString: scenario.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM tasks WHERE title LIKE 'Outage %'",
    );
    await db.end();

    // Assert
    expect(failed.length).toBeGreaterThan(0);
    expect(retries.map((response) => response.status)).toEqual(failed.map(() => 201));
    expect(rows[0]?.count).toBe(creates.length);
  });
});

describe('a database that accepts connections but never answers', () => {
  it(`answers 503 problem+json within the connection timeout plus a margin (${latencyBoundMs} ms), never hanging`, async () => {
    // Arrange: a loopback listener that swallows every byte, as a half-dead database host would.
    const sockets = new Set<Socket>();
    const blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined);
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as { port: number };
    const stalled = await serve(
      createTestHandler({
        databaseUrl: `postgres://taskboard:unused@127.0.0.1:${port}/taskboard`,
        env: {
          DB_CONNECTION_TIMEOUT_MS: String(connectionTimeoutMs),
          DB_STATEMENT_TIMEOUT_MS: String(statementTimeoutMs),
        },
      }),
      { maxSockets: 12 },
    );
    const token = tokenFor('stalled@example.com');
    const requests = [
      ['getHealth', jsonRequest('GET', '/health')],
      ['registerUser', jsonRequest('POST', '/users', { token })],
      ['listTasks', jsonRequest('GET', '/tasks', { token })],
      ['createTask', jsonRequest('POST', '/tasks', { token, body: { title: 'Never stored' } })],
    ] as const;

    // Act
    const exchanges = await Promise.all(
      [...requests, ...requests, ...requests].map(async ([operationId, request]) => {
        const response = await stalled.client.send(request);
        return { operationId, response };
      }),
    );
    await stalled.close();
    for (const socket of sockets) socket.destroy();
    blackHole.close();

    // Assert
    for (const { operationId, response } of exchanges) {
      contract.check(operationId, response);
      expect(response.status).toBe(503);
      expect(response.latencyMs).toBeLessThan(latencyBoundMs);
    }
  });
});
