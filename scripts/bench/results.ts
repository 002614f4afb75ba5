/**
 * What a bench run found, as Markdown: the summary table (figure | API | baseline | ratio | target
 * | met?) with every target checked, and bench/results.md — the run's machine, the table, how each
 * figure is measured, the details of each section and the EXPLAIN output.
 */
import type { LambdaBundle } from './bundles.ts';
import type { ColdStartSummary } from './cold-start.ts';
import type { HttpSummary } from './http-load.ts';
import { bytes, markdownTable, ms, perSecond, type Row, simpleTable } from './report.ts';
import { planShape, type ScalePoint, type ScaleResults } from './scale.ts';
import { settings } from './settings.ts';
import type { LoadSummary } from './warm.ts';

/** One figure for the API and the same for its baseline, measured in the same run. */
export interface Pair<T> {
  api: T;
  baseline: T;
}

/** Everything a run measured, paired with its baselines. */
export interface BenchResults {
  /** Date, commit, machine, Node.js, load: one Markdown list item each. */
  machine: string[];
  database: string;
  wallSeconds: number;
  bundles: Pair<LambdaBundle>;
  cold: Pair<ColdStartSummary>;
  coldWithSourceMaps: Pair<ColdStartSummary>;
  warm: Pair<LoadSummary[]>;
  /** Peak connections in-process with the Lambda setting (pool max 1). */
  lambdaConnections: Pair<number>;
  /** Per request name. */
  http: Pair<Map<string, HttpSummary>>;
  scale: ScaleResults;
  small: ScalePoint;
  large: ScalePoint;
}

const ratio = (api: number, baseline: number) => api / baseline;

function coldRows(api: ColdStartSummary, baseline: ColdStartSummary): Row[] {
  const spawnRatio = ratio(api.spawnToResponse.p50, baseline.spawnToResponse.p50);
  return [
    {
      figure: `Cold start: spawn → first GET /tasks response, median of ${api.runs}`,
      api: ms(api.spawnToResponse.p50, 1),
      baseline: ms(baseline.spawnToResponse.p50, 1),
      ratio: spawnRatio,
      target: '≤ 1.5×',
      met: spawnRatio <= 1.5,
    },
    {
      figure: 'Cold start: spawn → response, p90',
      api: ms(api.spawnToResponse.p90, 1),
      baseline: ms(baseline.spawnToResponse.p90, 1),
      ratio: ratio(api.spawnToResponse.p90, baseline.spawnToResponse.p90),
      target: '—',
    },
    {
      figure: 'Cold start: in-process import + first request, median',
      api: ms(api.initAndFirstRequest.p50, 1),
      baseline: ms(baseline.initAndFirstRequest.p50, 1),
      ratio: ratio(api.initAndFirstRequest.p50, baseline.initAndFirstRequest.p50),
      target: '—',
    },
    {
      figure: 'Cold start: import of the bundle (init phase), median',
      api: ms(api.import.p50, 1),
      baseline: ms(baseline.import.p50, 1),
      ratio: ratio(api.import.p50, baseline.import.p50),
      target: '—',
    },
  ];
}

function warmRows(api: LoadSummary[], baseline: LoadSummary[]): Row[] {
  return api.flatMap((scenario, index): Row[] => {
    const base = baseline[index];
    if (!base) return [];
    const isRead = scenario.name.startsWith('GET');
    const isLambdaSetting = scenario.name.endsWith('concurrency 1');
    const throughput = ratio(scenario.throughputPerSecond, base.throughputPerSecond);
    const p99 = ratio(scenario.latency.p99, base.latency.p99);
    return [
      {
        figure: `In-process ${scenario.name}: throughput`,
        api: perSecond(scenario.throughputPerSecond),
        baseline: perSecond(base.throughputPerSecond),
        ratio: throughput,
        ...(isRead && isLambdaSetting ? { target: '≥ 0.70×', met: throughput >= 0.7 } : { target: '—' }),
      },
      {
        figure: `In-process ${scenario.name}: p50`,
        api: ms(scenario.latency.p50, 3),
        baseline: ms(base.latency.p50, 3),
        ratio: ratio(scenario.latency.p50, base.latency.p50),
        target: '—',
      },
      {
        figure: `In-process ${scenario.name}: p99`,
        api: ms(scenario.latency.p99, 3),
        baseline: ms(base.latency.p99, 3),
        ratio: p99,
        ...(isLambdaSetting ? { target: '≤ 2×', met: p99 <= 2 } : { target: '—' }),
      },
      {
        figure: `In-process ${scenario.name}: CPU time per request`,
        api: `${scenario.cpuMicrosPerRequest.toFixed(0)} µs`,
        baseline: `${base.cpuMicrosPerRequest.toFixed(0)} µs`,
        ratio: ratio(scenario.cpuMicrosPerRequest, base.cpuMicrosPerRequest),
        target: '—',
      },
    ];
  });
}

function httpRows(api: Map<string, HttpSummary>, baseline: Map<string, HttpSummary>): Row[] {
  return [...api].flatMap(([name, summary]): Row[] => {
    const base = baseline.get(name);
    if (!base) return [];
    return [
      {
        figure: `HTTP ${name}: throughput`,
        api: perSecond(summary.throughputPerSecond),
        baseline: perSecond(base.throughputPerSecond),
        ratio: ratio(summary.throughputPerSecond, base.throughputPerSecond),
        target: '—',
      },
      {
        figure: `HTTP ${name}: p50 / p99`,
        api: `${ms(summary.latency.p50)} / ${ms(summary.latency.p99)}`,
        baseline: `${ms(base.latency.p50)} / ${ms(base.latency.p99)}`,
        ratio: ratio(summary.latency.p99, base.latency.p99),
        target: '— (ratio of p99)',
      },
    ];
  });
}

function scaleRows(small: ScalePoint, large: ScalePoint): Row[] {
  const first = ratio(large.firstPage.p50, small.firstPage.p50);
  const deep = ratio(large.deepPage.p50, small.deepPage.p50);
  const n = (point: ScalePoint) => point.tasks.toLocaleString('en');
  return [
    {
      figure: `Scale: GET /tasks first page p50, API at ${n(large)} vs ${n(small)} tasks`,
      api: ms(large.firstPage.p50, 3),
      baseline: ms(small.firstPage.p50, 3),
      ratio: first,
      target: '≤ 1.5×',
      met: first <= 1.5,
    },
    {
      figure: `Scale: deep page p50 (after ${large.deepRows.toLocaleString('en')} vs ${small.deepRows.toLocaleString('en')} rows)`,
      api: ms(large.deepPage.p50, 3),
      baseline: ms(small.deepPage.p50, 3),
      ratio: deep,
      target: '≤ 1.5×',
      met: deep <= 1.5,
    },
    {
      figure: 'Scale: first page / deep page p99',
      api: `${ms(large.firstPage.p99, 3)} / ${ms(large.deepPage.p99, 3)}`,
      baseline: `${ms(small.firstPage.p99, 3)} / ${ms(small.deepPage.p99, 3)}`,
      ratio: ratio(large.deepPage.p99, small.deepPage.p99),
      target: '— (ratio of deep p99)',
    },
    {
      figure: 'Scale: deep page plan (EXPLAIN ANALYZE)',
      api: planShape(large.explainDeepPage),
      baseline: planShape(small.explainDeepPage),
      target: `keyset index at ${n(large)}, no Seq Scan or Sort`,
      met: large.indexOnly,
    },
  ];
}

function bundleRows({ bundles, coldWithSourceMaps }: BenchResults): Row[] {
  const { api, baseline } = bundles;
  return [
    {
      figure: 'Bundle size, minified, no source map',
      api: bytes(api.bytes),
      baseline: bytes(baseline.bytes),
      ratio: ratio(api.bytes, baseline.bytes),
      target: '≤ 1 MB (1,000,000 B)',
      met: api.bytes <= settings.maxBundleBytes,
    },
    {
      figure: 'Bundle with source map: .mjs + .map',
      api: `${bytes(api.bytes)} + ${bytes(api.sourceMapBytes)}`,
      baseline: `${bytes(baseline.bytes)} + ${bytes(baseline.sourceMapBytes)}`,
      target: '—',
    },
    {
      figure: `Cold start with source map and --enable-source-maps, median of ${coldWithSourceMaps.api.runs}`,
      api: ms(coldWithSourceMaps.api.spawnToResponse.p50, 1),
      baseline: ms(coldWithSourceMaps.baseline.spawnToResponse.p50, 1),
      ratio: ratio(coldWithSourceMaps.api.spawnToResponse.p50, coldWithSourceMaps.baseline.spawnToResponse.p50),
      target: '—',
    },
  ];
}

const peak = (summaries: Map<string, HttpSummary>) =>
  Math.max(...[...summaries.values()].map((summary) => summary.peakConnections));

function connectionRows({ http, lambdaConnections }: BenchResults): Row[] {
  const httpPeak = { api: peak(http.api), baseline: peak(http.baseline) };
  return [
    {
      figure: `DB connections, peak in pg_stat_activity during the HTTP run (one process, DB_POOL_MAX=${settings.httpPoolMax}, ${settings.httpConnections} HTTP connections)`,
      api: String(httpPeak.api),
      baseline: String(httpPeak.baseline),
      target: `≤ DB_POOL_MAX (${settings.httpPoolMax})`,
      met: httpPeak.api <= settings.httpPoolMax,
    },
    {
      figure: `DB connections, peak in-process with the Lambda setting (DB_POOL_MAX=1, up to ${settings.lambdaConcurrency} invocations in flight)`,
      api: String(lambdaConnections.api),
      baseline: String(lambdaConnections.baseline),
      target: '≤ 1 per instance',
      met: lambdaConnections.api <= 1,
    },
  ];
}

/** The summary table's rows, each target checked. */
export function summaryRows(results: BenchResults): Row[] {
  return [
    ...coldRows(results.cold.api, results.cold.baseline),
    ...bundleRows(results),
    ...warmRows(results.warm.api, results.warm.baseline),
    ...httpRows(results.http.api, results.http.baseline),
    ...scaleRows(results.small, results.large),
    ...connectionRows(results),
  ];
}

/** How each figure is measured, one Markdown bullet per section. */
function methodNotes(small: ScalePoint): string[] {
  const n = (value: number) => value.toLocaleString('en');
  return [
    '- **API**: the production bundle of `handlers/api.ts`, built with esbuild the way the CDK NodejsFunction builds it (the bundling props of infra/constructs/house-function.ts: platform node, target node22, ESM, `mainFields` module then main, minified, the createRequire banner, `@aws-sdk/*` and `pg-native` external), run with `DB_POOL_MAX=1` (the Lambda setting) and `LOG_LEVEL` at its default: one JSON log line per request, written to /dev/null.',
    '- **Baseline**: `bench/baseline/bare-handler.ts`, bundled the same way. It reads the same proxy event and runs the same SQL with `pg` — the caller lookup of `findUserBySub`, then the statement of `listTasksForOwner`, `findTaskForCaller` or `insertTask` (in a transaction) — with the same pool settings, and nothing else: no routing, validation, logging or problem+json.',
    "- **Cold start**: a fresh `node` process with a clean environment runs a small driver that imports the bundle and answers one authenticated `GET /tasks` (20 of the caller's 50 tasks) against PostgreSQL: connection, caller lookup, page query. Timed from just before spawn to the arrival of the child's report of the response; the child also reports its import time and import + first request. API and baseline runs alternate, after one discarded run each that warms the file cache. On Node.js 20 the driver defines `navigator` as Node.js ≥ 21 does (the Lambda runtime is 22): otherwise pg's runtime probe at import loads Node.js 20's fetch implementation — tens of milliseconds that both bundles would pay on this machine and neither pays on Lambda.",
    `- **In-process**: per handler and round, a driver process imports the bundle and invokes it in a loop — one invocation at a time, what one Lambda instance does, and, for information, ${settings.lambdaConcurrency} at a time on the same pool of one connection — after ${n(settings.firstWarmup)} warm-up invocations before the first scenario and ${settings.warmup} before each other one (not recorded). ${settings.warmRounds} short rounds alternate between API and baseline, so load from elsewhere on the machine hits both alike: throughput is the median round's, percentiles pool every round, CPU time is the driver process's (user + system) per request, median over the rounds. \`POST /tasks\` sends no Idempotency-Key (the plain insert path).`,
    `- **HTTP**: autocannon on loopback with ${settings.httpConnections} connections; per request and server ${settings.httpWarmupSeconds} s of warm-up, then ${settings.httpRounds} measured runs of ${settings.httpSeconds} s alternating between the servers, pooled; latencies as autocannon times each response. API: the local gateway (scripts/local/gateway.ts — route table, aws-jwt-verify on a real RS256 ID token, the full proxy event) in front of the API bundle, with its throttling lifted (the stage limit of 1,000 req/s would turn load into 429s). Baseline: a minimal node:http wrapper that verifies the same token with the same verifier, builds a minimal event and calls the bare bundle. Each server runs in its own process with DB_POOL_MAX=${settings.httpPoolMax} (the local default). The difference is the gateway emulation plus the framework.`,
    `- **Scale**: two migrated databases on the same server, each with one owner and nothing else: ${n(settings.scaleSizes[0] ?? 0)} tasks in one, ${n(settings.scaleSizes[1] ?? 0)} in the other (INSERT … SELECT generate_series; timestamps half a second apart with pairs sharing one, so the id tie-break matters), then VACUUM ANALYZE. The deep page's cursor comes from paging through ${n(settings.deepRows)} rows with the real handler (pages of 100); with ${n(small.tasks)} tasks there is no row ${n(settings.deepRows)}, so the deep page there is the last full page (after ${n(small.deepRows)} rows). ${settings.scaleRounds} rounds alternate between the sizes, ${settings.scaleIterationsPerRound} requests per page and round after ${settings.scaleWarmup} of warm-up, pooled.`,
    '- **Connections**: `pg_stat_activity` sampled every 25 ms, counting `application_name` `taskboard-api` (baseline: `taskboard-bench-baseline`) on the bench database. The local gateway is one process with a pool of DB_POOL_MAX; on Lambda each instance has a pool of one, so connections = warm instances.',
  ];
}

/** bench/results.md for a run. */
export function resultsDocument(results: BenchResults, rows: Row[]): string {
  const table = markdownTable(rows);
  const missed = rows.filter((row) => row.met === false);
  const { scale, small, large, wallSeconds } = results;
  const { api: coldApi, baseline: coldBaseline } = results.cold;
  const { api: mappedApi, baseline: mappedBaseline } = results.coldWithSourceMaps;
  const { api: warmApi, baseline: warmBaseline } = results.warm;
  const { api: httpApi, baseline: httpBaseline } = results.http;

  const warmDetail = simpleTable(
    [
      'scenario',
      'handler',
      'requests',
      'throughput (median round)',
      'each round, req/s',
      'CPU/request',
      'p50',
      'p90',
      'p99',
      'max',
    ],
    [warmApi, warmBaseline].flatMap((summaries, index) =>
      summaries.map((summary) => [
        summary.name,
        index === 0 ? 'API' : 'baseline',
        summary.requests.toLocaleString('en'),
        perSecond(summary.throughputPerSecond),
        summary.roundThroughputs.map((value) => Math.round(value)).join(', '),
        `${summary.cpuMicrosPerRequest.toFixed(0)} µs`,
        ms(summary.latency.p50, 3),
        ms(summary.latency.p90, 3),
        ms(summary.latency.p99, 3),
        ms(summary.latency.max, 3),
      ]),
    ),
  );
  const coldDetail = simpleTable(
    ['bundle', 'runs', 'spawn → response p50 / p90 / min / max', 'process start → response p50', 'import p50'],
    [
      ['API', coldApi],
      ['baseline', coldBaseline],
      ['API, source map + --enable-source-maps', mappedApi],
      ['baseline, source map + --enable-source-maps', mappedBaseline],
    ].map(([name, summary]) => {
      const s = summary as ColdStartSummary;
      return [
        name as string,
        String(s.runs),
        `${ms(s.spawnToResponse.p50, 1)} / ${ms(s.spawnToResponse.p90, 1)} / ${ms(s.spawnToResponse.min, 1)} / ${ms(s.spawnToResponse.max, 1)}`,
        ms(s.sinceProcessStart.p50, 1),
        ms(s.import.p50, 1),
      ];
    }),
  );
  const httpDetail = simpleTable(
    ['request', 'server', 'requests', 'throughput', 'p50', 'p90', 'p99', 'peak DB connections'],
    [
      ['API (local gateway)', httpApi],
      ['baseline (bare wrapper)', httpBaseline],
    ].flatMap(([server, summaries]) =>
      [...(summaries as Map<string, HttpSummary>)].map(([name, s]) => [
        name,
        server as string,
        s.requests.toLocaleString('en'),
        perSecond(s.throughputPerSecond),
        ms(s.latency.p50),
        ms(s.latency.p90),
        ms(s.latency.p99),
        String(s.peakConnections),
      ]),
    ),
  );
  const scaleDetail = simpleTable(
    ['tasks', 'seed + VACUUM ANALYZE', 'page', 'rows before it', 'p50', 'p90', 'p99', 'plan'],
    scale.points.flatMap((point) => [
      [
        point.tasks.toLocaleString('en'),
        `${point.seedSeconds.toFixed(1)} s`,
        'first',
        '0',
        ms(point.firstPage.p50, 3),
        ms(point.firstPage.p90, 3),
        ms(point.firstPage.p99, 3),
        planShape(point.explainFirstPage),
      ],
      [
        point.tasks.toLocaleString('en'),
        '',
        'deep',
        point.deepRows.toLocaleString('en'),
        ms(point.deepPage.p50, 3),
        ms(point.deepPage.p90, 3),
        ms(point.deepPage.p99, 3),
        planShape(point.explainDeepPage),
      ],
    ]),
  );

  return [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (scripts/bench/run.ts); re-run it to replace this file. Every figure',
    'sits beside its baseline measured in the same run on the same machine. Reproduce with',
    '`npm ci && npm run bench` (about two and a half minutes on two cores). With `DATABASE_URL=postgres://…`',
    'it uses that server instead of an embedded PostgreSQL: it creates throw-away databases there',
    '(CREATE DATABASE privilege needed) and drops them afterwards.',
    '',
    '## This run',
    '',
    ...results.machine,
    `- Database: ${results.database}`,
    `- Wall time of the whole suite: ${wallSeconds.toFixed(0)} s`,
    `- Targets: ${missed.length === 0 ? 'all met' : `missed: ${missed.map((row) => row.figure).join('; ')}`}`,
    '',
    '## Summary',
    '',
    table,
    '',
    'Ratios are API ÷ baseline (for scale: 1,000,000 tasks ÷ 1,000 tasks). For throughput a higher',
    'ratio is better; for times and sizes a lower one.',
    '',
    '## What is measured',
    '',
    ...methodNotes(small),
    '',
    '## Details',
    '',
    '### Cold start',
    '',
    coldDetail,
    '',
    '### In-process',
    '',
    warmDetail,
    '',
    '### HTTP',
    '',
    httpDetail,
    '',
    '### Scale',
    '',
    scaleDetail,
    '',
    `### EXPLAIN (ANALYZE, BUFFERS) at ${large.tasks.toLocaleString('en')} tasks`,
    '',
    `The statement (${scale.statementSource}), run with the handler's parameters (owner, no status filter, cursor, limit 20 + 1):`,
    '',
    '```sql',
    scale.statement.trim(),
    '```',
    '',
    'First page:',
    '',
    '```',
    large.explainFirstPage,
    '```',
    '',
    `Deep page (after ${large.deepRows.toLocaleString('en')} rows):`,
    '',
    '```',
    large.explainDeepPage,
    '```',
    '',
    `At ${small.tasks.toLocaleString('en')} tasks, for comparison, the deep page (the last one, after ${small.deepRows.toLocaleString('en')} rows; on a table this small the planner may pick a bitmap scan of the same index and sort the few rows it finds, or even a whole-table scan):`,
    '',
    '```',
    small.explainDeepPage,
    '```',
    '',
  ].join('\n');
}
