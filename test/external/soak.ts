/**
 * `npm run soak`: 200 concurrent clients mix all twelve operations for 60 seconds against the API on
 * its own embedded PostgreSQL behind the local gateway, then report requests, errors, latency
 * percentiles and the server's resident memory. Exits non-zero unless the error count is 0 and the
 * server's RSS grew by at most 20%.
 *
 * The server (PostgreSQL, migrations, Lambda handler, local gateway) runs in a child process, so its
 * RSS is the API's and not the load generator's. An error is a 5xx, a network failure, or any status
 * the flow did not expect (each client is its own user, so every status is predictable: a 429 from
 * throttling, a 412 or a 404 would be a bug). The stage's throttle is lifted: throttling has its own
 * contract test and is not what a soak measures. RSS is sampled after a forced GC; the growth baseline
 * is the RSS after a 5 s warm-up under the same load, since the first seconds fill caches, the pool
 * and JIT code rather than leak. `--clients N --seconds N` (or SOAK_CLIENTS, SOAK_SECONDS) change the
 * load; `npm run soak:ci` is the short run in .ci/run (100 clients, 20 s, `--errors-only`).
 *
 * Every tenth client is an administrator, and administrators change roles throughout: client 0 keeps
 * its role and promotes and demotes a user of its own, three times a cycle; the others demote
 * themselves three times a cycle (each time deleting themselves and registering again, as
 * administrators). Since client 0
 * is always an administrator, every one of those demotions and deletions must succeed: a 409 "last
 * administrator" is an error, and so is a 503 from a lock wait.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { type OperationId, operations } from '../../generated/operations.ts';

/** `--name N` from the command line, else the environment variable, else the default. */
function setting(name: string, variable: string, fallback: number): number {
  const flag = process.argv.indexOf(`--${name}`);
  const raw = flag >= 0 ? process.argv[flag + 1] : process.env[variable];
  const value = Number(raw ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} (${variable}) must be a positive integer`);
  return value;
}

const seconds = setting('seconds', 'SOAK_SECONDS', 60);
const clients = setting('clients', 'SOAK_CLIENTS', 200);
const warmUpSeconds = Math.min(5, seconds / 4);
const maxGrowth = 0.2;
/**
 * `--errors-only`: the verdict is the error count alone and RSS is only reported. For the short CI
 * run, whose few seconds after the warm-up still fill caches and pools: growth is judged by the
 * full minute of `npm run soak`.
 */
const errorsOnly = process.argv.includes('--errors-only');
/** How many times per cycle each administrator changes a role (and the others demote themselves). */
const roleChangesPerCycle = 3;

type ServerMessage =
  | { type: 'ready'; url: string }
  | { type: 'memory'; rss: number; heapUsed: number; external: number };
type ParentMessage = { type: 'memory' } | { type: 'stop' };

/** The child: PostgreSQL, migrations, handler and gateway; answers memory probes until told to stop. */
async function serve(): Promise<void> {
  const { migrateDatabase, startEmbeddedPostgres } = await import('../../scripts/local/database.ts');
  const { startLocalGateway } = await import('../../scripts/local/gateway.ts');
  const { createLocalVerifier } = await import('../../scripts/local/identity.ts');
  const { createApiHandler } = await import('../../handlers/runtime/api-handler.ts');
  const { loadConfig } = await import('../../handlers/runtime/config.ts');
  const { operationHandlers } = await import('../../handlers/operation-handlers.ts');
  const postgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
  const databaseUrl = await postgres.createDatabase('taskboard_soak');
  await migrateDatabase(databaseUrl);
  const handler = createApiHandler({
    handlers: operationHandlers,
    config: () => loadConfig({ DATABASE_URL: databaseUrl }),
    // Every request line is formatted as on Lambda, then dropped instead of flooding the terminal.
    logSink: () => undefined,
  });
  const gateway = await startLocalGateway({
    handler,
    verifier: createLocalVerifier(),
    port: 0,
    throttle: { rateLimit: 1_000_000, burstLimit: 1_000_000 },
  });
  const send = (message: ServerMessage) => process.send?.(message);
  process.on('message', async (message: ParentMessage) => {
    if (message.type === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapUsed, external } = process.memoryUsage();
      send({ type: 'memory', rss, heapUsed, external });
    } else if (message.type === 'stop') {
      await gateway.close();
      await handler.close();
      await postgres.stop();
      process.exit(0);
    }
  });
  send({ type: 'ready', url: gateway.url });
}

interface Result {
  operationId: OperationId;
  status: number;
  latencyMs: number;
  body: Record<string, unknown> | undefined;
  etag: string | null;
}

/** The load generator: keep-alive HTTP, one socket per client. */
function createClient(baseUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const { hostname, port } = new URL(baseUrl);
  const send = (
    operationId: OperationId,
    path: string,
    token: string | undefined,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    new Promise<Result>((resolve) => {
      const started = performance.now();
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const headers: Record<string, string> = { ...options.headers };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }
      const failed = () =>
        resolve({ operationId, status: 0, latencyMs: performance.now() - started, body: undefined, etag: null });
      const request = http.request(
        { agent, hostname, port, method: operations[operationId].method, path, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', failed);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> | undefined;
            try {
              parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
            } catch {
              parsed = undefined;
            }
            resolve({
              operationId,
              status: response.statusCode ?? 0,
              latencyMs: performance.now() - started,
              body: parsed,
              etag: typeof response.headers.etag === 'string' ? response.headers.etag : null,
            });
          });
        },
      );
      request.on('error', failed);
      request.end(body);
    });
  return { send, close: () => agent.destroy() };
}

interface Tally {
  requests: number;
  errors: Array<{ operationId: OperationId; expected: number[]; status: number; detail: string }>;
  latencies: number[];
  byOperation: Map<OperationId, { count: number; errors: number }>;
}

/** One client: its own user, cycling through every operation, checking each status it gets. */
async function runClient(
  client: ReturnType<typeof createClient>,
  index: number,
  issueToken: (email: string, groups?: string[]) => string,
  tally: Tally,
  running: () => boolean,
): Promise<void> {
  const isAdmin = index % 10 === 0;
  /** The administrator who never gives up the role, so every other administrator's demotion is allowed. */
  const isKeeper = index === 0;
  const email = `soak-${index}-${randomUUID().slice(0, 8)}@example.com`;
  const token = issueToken(email, isAdmin ? ['admin'] : undefined);
  let userId = '';
  let userEtag = '';
  const record = (result: Result, expected: number[]) => {
    tally.requests += 1;
    tally.latencies.push(result.latencyMs);
    const entry = tally.byOperation.get(result.operationId) ?? { count: 0, errors: 0 };
    entry.count += 1;
    if (!expected.includes(result.status)) {
      entry.errors += 1;
      tally.errors.push({
        operationId: result.operationId,
        expected,
        status: result.status,
        detail: JSON.stringify(result.body ?? null).slice(0, 200),
      });
    }
    tally.byOperation.set(result.operationId, entry);
    return result;
  };
  const register = async (expected: number[]) => {
    const result = record(await client.send('registerUser', '/users', token), expected);
    userId = String(result.body?.id ?? userId);
    userEtag = result.etag ?? userEtag;
  };

  await register([201]);
  // The keeper's own user, whose role it changes: registered once, and making no request itself.
  let pawnId = '';
  if (isKeeper) {
    const pawn = issueToken(`soak-pawn-${randomUUID().slice(0, 8)}@example.com`);
    pawnId = String(record(await client.send('registerUser', '/users', pawn), [201]).body?.id);
  }
  for (let cycle = 0; running(); cycle += 1) {
    record(await client.send('getHealth', '/health', undefined), [200]);
    const created = record(
      await client.send('createTask', '/tasks', token, {
        body: { title: `Soak ${cycle}`, priority: 'low' },
        headers: { 'Idempotency-Key': randomUUID() },
      }),
      [201],
    );
    const taskId = String(created.body?.id);
    const read = record(await client.send('getTask', `/tasks/${taskId}`, token), [200]);
    record(
      await client.send('updateTask', `/tasks/${taskId}`, token, {
        body: { status: 'done' },
        headers: { 'If-Match': read.etag ?? '*' },
      }),
      [200],
    );
    record(await client.send('listTasks', '/tasks?limit=10', token), [200]);
    record(await client.send('deleteTask', `/tasks/${taskId}`, token), [204]);
    const me = record(await client.send('getCurrentUser', '/users/me', token), [200]);
    userEtag = me.etag ?? userEtag;
    record(await client.send('getUser', `/users/${userId}`, token), [200]);
    const updated = record(
      await client.send('updateUser', `/users/${userId}`, token, {
        body: { name: `Soak ${index}.${cycle}` },
        headers: { 'If-Match': userEtag },
      }),
      [200],
    );
    userEtag = updated.etag ?? userEtag;
    record(await client.send('listUsers', '/users?limit=5', token), [isAdmin ? 200 : 403]);
    await register([200]);
    // Administrators change roles throughout: a few role changes per cycle, for each of the other
    // clients' one rename, so ordinary users' edits always run among them.
    for (let change = 0; isAdmin && change < roleChangesPerCycle; change += 1) {
      if (isKeeper) {
        for (const role of ['admin', 'user']) {
          record(await client.send('updateUser', `/users/${pawnId}`, token, { body: { name: 'Pawn', role } }), [200]);
        }
        continue;
      }
      const demoted = record(
        await client.send('updateUser', `/users/${userId}`, token, {
          body: { name: `Former admin ${index}`, role: 'user' },
          headers: { 'If-Match': userEtag },
        }),
        [200],
      );
      userEtag = demoted.etag ?? userEtag;
      record(await client.send('listUsers', '/users?limit=5', token), [403]);
      record(await client.send('deleteUser', `/users/${userId}`, token), [204]);
      await register([201]);
    }
    if (cycle % 5 === 4 && !isKeeper) {
      record(await client.send('deleteUser', `/users/${userId}`, token), [204]);
      await register([201]);
    }
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<number> {
  const { issueIdToken, loadLocalKeySet } = await import('../../scripts/local/identity.ts');
  const keys = loadLocalKeySet();
  const issueToken = (email: string, groups?: string[]) => issueIdToken(email, groups ? { groups } : {}, keys);

  console.log(`Soak: ${clients} clients, ${seconds} s, every operation; starting the server…`);
  const server: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: [...process.execArgv, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const nextMessage = <T extends ServerMessage['type']>(type: T) =>
    new Promise<Extract<ServerMessage, { type: T }>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the server exited (${code})`));
      const onMessage = (message: ServerMessage) => {
        if (message.type !== type) return;
        server.off('message', onMessage);
        server.off('exit', onExit);
        resolve(message as Extract<ServerMessage, { type: T }>);
      };
      server.on('message', onMessage);
      server.once('exit', onExit);
    });
  const memory = async () => {
    const reply = nextMessage('memory');
    server.send({ type: 'memory' } satisfies ParentMessage);
    return reply;
  };

  try {
    const { url } = await nextMessage('ready');
    const idle = await memory();
    const client = createClient(url);
    const tally: Tally = { requests: 0, errors: [], latencies: [], byOperation: new Map() };
    let running = true;
    const started = performance.now();
    const load = Promise.all(
      Array.from({ length: clients }, (_, index) => runClient(client, index, issueToken, tally, () => running)),
    );
    // A sample every 2 s; "start" and "end" are the medians of the first and the last window after
    // the warm-up, since a single RSS reading swings by ±10% with the collector and the allocator.
    const samples: Array<{ at: number; rss: number; heapUsed: number; external: number }> = [];
    let requestsAtWarm = 0;
    while (performance.now() - started < seconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const at = (performance.now() - started) / 1000;
      if (requestsAtWarm === 0 && at >= warmUpSeconds) requestsAtWarm = tally.requests;
      samples.push({ at, ...(await memory()) });
    }
    running = false;
    await load;
    const elapsed = (performance.now() - started) / 1000;
    client.close();

    const sorted = [...tally.latencies].sort((a, b) => a - b);
    const measured = samples.filter((sample) => sample.at >= warmUpSeconds);
    const window = Math.max(1, Math.floor(measured.length / 4));
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const warm = {
      rss: median(measured.slice(0, window).map((sample) => sample.rss)),
      heapUsed: median(measured.slice(0, window).map((sample) => sample.heapUsed)),
    };
    const end = {
      rss: median(measured.slice(-window).map((sample) => sample.rss)),
      heapUsed: median(measured.slice(-window).map((sample) => sample.heapUsed)),
    };
    const growth = (end.rss - warm.rss) / warm.rss;
    const serverErrors = tally.errors.filter((error) => error.status >= 500).length;
    const networkErrors = tally.errors.filter((error) => error.status === 0).length;
    const passed = tally.errors.length === 0 && (errorsOnly || growth <= maxGrowth);

    console.log(
      `\nrequests     ${tally.requests} in ${elapsed.toFixed(1)} s (${Math.round(tally.requests / elapsed)}/s; ${requestsAtWarm} during the warm-up)`,
    );
    console.log(
      `errors       ${tally.errors.length} (5xx ${serverErrors}, network ${networkErrors}, unexpected status ${tally.errors.length - serverErrors - networkErrors})`,
    );
    console.log(
      `latency      p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${(sorted.at(-1) ?? 0).toFixed(1)} ms`,
    );
    console.log(
      `server RSS   idle ${mb(idle.rss)}; start ${mb(warm.rss)}, end ${mb(end.rss)} (medians of the first and last ${window * 2} s after a ${warmUpSeconds} s warm-up): ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%, ${errorsOnly ? 'not judged (--errors-only)' : `limit +${maxGrowth * 100}%`}`,
    );
    console.log(`server heap  start ${mb(warm.heapUsed)}, end ${mb(end.heapUsed)}`);
    console.log(
      `RSS samples  ${samples.map(({ at, rss }) => `${Math.round(at)}s ${Math.round(rss / 1024 / 1024)}`).join(', ')} (MB)`,
    );
    console.log('per operation:');
    for (const [operationId, { count, errors }] of [...tally.byOperation].sort()) {
      console.log(`  ${operationId.padEnd(15)} ${String(count).padStart(8)} requests, ${errors} errors`);
    }
    for (const error of tally.errors.slice(0, 10)) {
      console.log(
        `  error: ${error.operationId} expected ${error.expected.join('/')} got ${error.status} ${error.detail}`,
      );
    }
    console.log(passed ? '\nSOAK PASSED' : '\nSOAK FAILED');
    return passed ? 0 : 1;
  } finally {
    server.send({ type: 'stop' } satisfies ParentMessage);
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

if (process.argv.includes('--serve')) {
  serve().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main()
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    });
}
