/**
 * What a bench run found, as Markdown: one table with every figure for the API, the floor and each
 * peer (each beside its ratio against the floor, measured in the same run), the targets checked,
 * the statements each operation sends, and bench/results.md with the run's machine, versions,
 * method, scale details and EXPLAIN output.
 */
import os from 'node:os';
import type { LambdaBundle, TargetSpec } from './bundles.ts';
import type { ColdStartSummary } from './cold-start.ts';
import { kilobytes, markdownTable, ms, perSecond, times } from './report.ts';
import { planShape, type ScaleResults } from './scale.ts';
import type { BenchSettings } from './settings.ts';
import { targetLimits } from './settings.ts';
import type { StatementCount } from './statement-counts.ts';
import { median } from './stats.ts';
import type { LoadFigures, LoadSummary } from './warm.ts';

export interface TargetResult {
  spec: TargetSpec;
  /** `name@version` of each package it is built on. */
  versions: string[];
  bundle: LambdaBundle;
  cold: ColdStartSummary;
  /** One per load scenario, in scenario order. */
  warm: LoadSummary[];
  counts: StatementCount[];
}

export interface BenchResults {
  quick: boolean;
  settings: BenchSettings;
  /** Date, commit, machine, Node.js, load: one Markdown list item each. */
  machine: string[];
  database: string;
  wallSeconds: number;
  /** The API first, then the floor, then the peers. */
  targets: TargetResult[];
  scale: ScaleResults | undefined;
}

export interface Check {
  check: string;
  value: string;
  limit: string;
  met: boolean;
}

function split(results: BenchResults) {
  const [api, floor, ...peers] = results.targets;
  if (!api || !floor || api.spec.name !== 'api' || floor.spec.name !== 'floor') {
    throw new Error('The results must start with the API and the floor');
  }
  return { api, floor, peers };
}

const warmOf = (target: TargetResult, index: number): LoadSummary => {
  const summary = target.warm[index];
  if (!summary) throw new Error(`${target.spec.name} has no result for scenario ${index}`);
  return summary;
};

/**
 * `target` ÷ `base` for an in-process figure: the median over the rounds of the two turns' ratio
 * in that round. The turns of a round run next to each other, so what slows the machine for a few
 * seconds slows both and cancels out; the ratio of the two medians would keep it.
 */
export function pairedRatio(
  target: TargetResult,
  base: TargetResult,
  index: number,
  figure: keyof LoadFigures,
): number {
  const ours = warmOf(target, index).perRound;
  const theirs = warmOf(base, index).perRound;
  if (ours.length !== theirs.length) throw new Error(`${target.spec.name} and ${base.spec.name} ran unequal rounds`);
  return median(ours.map((round, i) => round[figure] / (theirs[i]?.[figure] ?? Number.NaN)));
}

/** Every figure of every target; each cell but the floor's carries its ratio against the floor. */
export function summaryTable(results: BenchResults): string {
  const { floor } = split(results);
  const row = (
    figure: string,
    value: (target: TargetResult) => number,
    format: (value: number) => string,
    ratio: (target: TargetResult) => number = (target) => value(target) / value(floor),
  ) => [
    figure,
    ...results.targets.map((target) =>
      target === floor ? format(value(target)) : `${format(value(target))} (${times(ratio(target))})`,
    ),
  ];
  const scenarios = floor.warm.map((scenario, index) => ({ name: scenario.name, index }));
  const paired = (index: number, figure: keyof LoadFigures) => (target: TargetResult) =>
    pairedRatio(target, floor, index, figure);
  return markdownTable(
    ['figure', ...results.targets.map((target) => target.spec.label)],
    [
      row(
        `Cold start: spawn → first GET /tasks response, median of ${floor.cold.runs}`,
        (t) => t.cold.spawnToResponseMs,
        (v) => ms(v, 1),
      ),
      row(
        'Import of the bundle (init phase), median',
        (t) => t.cold.importMs,
        (v) => ms(v, 1),
      ),
      row('Bundle size, minified', (t) => t.bundle.bytes, kilobytes),
      ...scenarios.flatMap(({ name, index }) => [
        row(
          `${name}: throughput`,
          (t) => warmOf(t, index).throughputPerSecond,
          perSecond,
          paired(index, 'throughputPerSecond'),
        ),
        row(
          `${name}: p50`,
          (t) => warmOf(t, index).p50Ms,
          (v) => ms(v, 3),
          paired(index, 'p50Ms'),
        ),
        row(
          `${name}: p99`,
          (t) => warmOf(t, index).p99Ms,
          (v) => ms(v, 3),
          paired(index, 'p99Ms'),
        ),
        row(
          `${name}: CPU per request`,
          (t) => warmOf(t, index).cpuMicrosPerRequest,
          (v) => `${v.toFixed(0)} µs`,
          paired(index, 'cpuMicrosPerRequest'),
        ),
      ]),
    ],
  );
}

/** Every target of issue 9, checked. */
export function checks(results: BenchResults): Check[] {
  const { api, floor, peers } = split(results);
  const limits = targetLimits;
  const list: Check[] = [];
  const best = (value: (target: TargetResult) => number, lowerIsBetter: boolean) =>
    peers.reduce<TargetResult | undefined>((winner, peer) => {
      if (!winner) return peer;
      return lowerIsBetter === value(peer) < value(winner) ? peer : winner;
    }, undefined);
  const ahead = (
    figure: string,
    value: (target: TargetResult) => number,
    format: (value: number) => string,
    lowerIsBetter: boolean,
  ) => {
    const peer = best(value, lowerIsBetter);
    if (!peer) return;
    list.push({
      check: `API ahead of every peer: ${figure}`,
      value: `API ${format(value(api))}, best peer ${peer.spec.label} ${format(value(peer))}`,
      limit: lowerIsBetter ? 'API lower' : 'API higher',
      met: lowerIsBetter ? value(api) < value(peer) : value(api) > value(peer),
    });
  };

  const coldRatio = api.cold.spawnToResponseMs / floor.cold.spawnToResponseMs;
  list.push({
    check: 'Cold start, API ÷ floor',
    value: times(coldRatio),
    limit: `≤ ${times(limits.maxColdStartRatio)}`,
    met: coldRatio <= limits.maxColdStartRatio,
  });
  list.push({
    check: 'Bundle size of the API',
    value: kilobytes(api.bundle.bytes),
    limit: `≤ ${kilobytes(limits.maxBundleBytes)}`,
    met: api.bundle.bytes <= limits.maxBundleBytes,
  });
  api.warm.forEach((scenario, index) => {
    if (!floor.warm[index]) return;
    const throughput = pairedRatio(api, floor, index, 'throughputPerSecond');
    const cpu = pairedRatio(api, floor, index, 'cpuMicrosPerRequest');
    list.push({
      check: `${scenario.name}: throughput, API ÷ floor`,
      value: times(throughput),
      limit: `≥ ${times(limits.minThroughputRatio)}`,
      met: throughput >= limits.minThroughputRatio,
    });
    list.push({
      check: `${scenario.name}: CPU per request, API ÷ floor`,
      value: times(cpu),
      limit: `≤ ${times(limits.maxCpuRatio)}`,
      met: cpu <= limits.maxCpuRatio,
    });
  });
  ahead(
    'cold start',
    (t) => t.cold.spawnToResponseMs,
    (v) => ms(v, 1),
    true,
  );
  ahead('bundle size', (t) => t.bundle.bytes, kilobytes, true);
  // In-process, against each peer the paired ratio (as against the floor): the API is ahead of a
  // peer when the median of their per-round ratios is on the API's side of 1.
  const aheadInProcess = (index: number, figure: keyof LoadFigures, label: string, lowerIsBetter: boolean) => {
    const ratios = peers.map((peer) => ({ peer, ratio: pairedRatio(api, peer, index, figure) }));
    const closest = ratios.reduce<(typeof ratios)[number] | undefined>(
      (winner, entry) => (!winner || lowerIsBetter === entry.ratio > winner.ratio ? entry : winner),
      undefined,
    );
    if (!closest) return;
    const format = figure === 'cpuMicrosPerRequest' ? (v: number) => `${v.toFixed(0)} µs` : (v: number) => perSecond(v);
    const value = (target: TargetResult) => format(warmOf(target, index)[figure]);
    list.push({
      check: `API ahead of every peer: ${label}`,
      value: `API ÷ ${closest.peer.spec.label} (the closest peer) ${times(closest.ratio)}, per round; medians API ${value(api)}, ${closest.peer.spec.label} ${value(closest.peer)}`,
      limit: lowerIsBetter ? '< 1.00×' : '> 1.00×',
      met: lowerIsBetter ? closest.ratio < 1 : closest.ratio > 1,
    });
  };
  api.warm.forEach((scenario, index) => {
    aheadInProcess(index, 'throughputPerSecond', `${scenario.name} throughput`, false);
    aheadInProcess(index, 'cpuMicrosPerRequest', `${scenario.name} CPU per request`, true);
  });

  const [small, large] = results.scale?.points ?? [];
  if (small && large) {
    const n = (value: number) => value.toLocaleString('en');
    const first = large.firstPageP50Ms / small.firstPageP50Ms;
    const deep = large.deepPageP50Ms / small.deepPageP50Ms;
    list.push({
      check: `Scale: GET /tasks first page p50, ${n(large.tasks)} ÷ ${n(small.tasks)} tasks`,
      value: `${times(first)} (${ms(large.firstPageP50Ms, 3)} vs ${ms(small.firstPageP50Ms, 3)})`,
      limit: `≤ ${times(limits.maxScaleRatio)}`,
      met: first <= limits.maxScaleRatio,
    });
    list.push({
      check: `Scale: deep page p50 (after ${n(large.deepRows)} vs ${n(small.deepRows)} rows)`,
      value: `${times(deep)} (${ms(large.deepPageP50Ms, 3)} vs ${ms(small.deepPageP50Ms, 3)})`,
      limit: `≤ ${times(limits.maxScaleRatio)}`,
      met: deep <= limits.maxScaleRatio,
    });
    list.push({
      check: `Scale: plans at ${n(large.tasks)} tasks (EXPLAIN ANALYZE)`,
      value: `${planShape(large.explainFirstPage)}; deep: ${planShape(large.explainDeepPage)}`,
      limit: 'a keyset index, no Seq Scan, no Sort of more than a page',
      met: large.indexOnly,
    });
  }
  return list;
}

export const checksTable = (list: readonly Check[]): string =>
  markdownTable(
    ['target', 'measured', 'limit', 'met?'],
    list.map((check) => [check.check, check.value, check.limit, check.met ? 'yes' : '**NO**']),
  );

/** Statements per operation: the API's for every operation, the others' for the three they implement. */
export function countsTable(results: BenchResults): string {
  const { api } = split(results);
  const count = (target: TargetResult, step: string) => {
    const found = target.counts.find((entry) => entry.step === step);
    if (!found) return '—';
    return found.transactionControl > 0
      ? `${found.count} (${found.transactionControl} BEGIN/COMMIT)`
      : String(found.count);
  };
  return markdownTable(
    ['operation', 'status', ...results.targets.map((target) => target.spec.label)],
    api.counts.map((entry) => [
      entry.step,
      String(entry.status),
      ...results.targets.map((target) => count(target, entry.step)),
    ]),
  );
}

/** Each API step's statements, for the record (first line of each, parameters elided). */
function statementsDetail(results: BenchResults): string {
  const { api } = split(results);
  return api.counts
    .map((entry) =>
      [
        `- **${entry.step}** (${entry.count}):`,
        ...entry.statements.map(
          (statement) => `  - \`${statement.text.replace(/\s+/g, ' ').trim().slice(0, 160).replaceAll('`', "'")}\``,
        ),
      ].join('\n'),
    )
    .join('\n');
}

function methodNotes(results: BenchResults): string[] {
  const s = results.settings;
  const n = (value: number) => value.toLocaleString('en');
  return [
    '- **Bundles**: every target is built with esbuild exactly as the CDK NodejsFunction builds the API function (the bundling props of infra/bundling.ts: platform node, target node24, ESM, `mainFields` module then main, minified, the createRequire banner, `@aws-sdk/*` and `pg-native` external). Sizes are the minified `.mjs`, no source map.',
    "- **API**: `handlers/api.ts`, run with the environment the stack gives the function that changes its work per request (`LOG_LEVEL=info`, `METRICS=emf`) and `DB_POOL_MAX=1` (the Lambda setting): its stdout goes to /dev/null. As deployed, a success writes nothing (API Gateway's access log is the request log); its first invocation writes the cold start's EMF document, which falls in the warm-up.",
    '- **Floor**: `bench/floor/handler.ts` — per request the one hand-written statement of `bench/floor/statements.ts`, which resolves the caller by Cognito sub inside it; no routing (a switch on the resource), no validation, no logger.',
    "- **Peers** (`bench/peers/`): openapi-backend (the whole spec, validation on, handlers by operationId), middy (`http-router`, `http-json-body-parser`, `validator` with the event schemas transpiled at build time, `http-error-handler`) and Powertools' HTTP event handler (`Router` with each route's `validation`, the spec's schemas compiled at build time and handed over as Standard Schemas). All run the floor's statements through the same pool settings and receive the same proxy events and a Lambda context.",
    `- **Cold start**: a fresh \`node\` process with a clean environment imports the bundle and answers one authenticated \`GET /tasks\` (20 of the caller's tasks) against PostgreSQL: connection and the operation's statements. Timed from just before spawn to the arrival of the child's report; the child also reports its import time. ${s.coldStartRuns} runs per target, the order rotating every round, after one discarded run each that warms the file cache. On Node.js 20 the driver defines \`navigator\` as Node.js ≥ 21 does (the Lambda runtime is 24): otherwise pg's runtime probe at import loads Node.js 20's fetch implementation — tens of milliseconds no target pays on Lambda.`,
    `- **In-process**: per target, one driver process imports the bundle (one Lambda instance: one invocation at a time, pool max 1) and first serves a warm-up mix of ${n(s.warmup)} invocations of each scenario, interleaved and not recorded, so what is measured is an instance that has served a while, not V8 compiling its code. Then the drivers take turns: each of ${s.warmRounds} rounds runs every scenario on every target in turn, the order of the targets rotating, so a slow moment of the machine falls on all alike and the targets' turns of a scenario sit next to each other in time. A turn is ${n(s.turnWarmup)} unrecorded invocations (the instance sat idle while the others ran), then, measured in tinybench: ${n(s.iterations.getTask)} getTask, ${n(s.iterations.listTasks)} listTasks or ${n(s.iterations.createTask)} createTask (no Idempotency-Key, as a second user, so getTask and listTasks read the same 50 tasks, analysed, throughout). Throughput, p50, p99 and CPU time (the driver process's user + system per request) are each the median over the rounds. A ratio between two targets (in brackets, and in the targets) is the median over the rounds of the ratio of their turns in that round: turns of one round run next to each other, so a slow few seconds of the machine (a shared 2-core VM varies by tens of percent from second to second) falls on both and cancels out of the ratio.`,
    '- **Statements**: the driver puts a counting proxy (test/support/statement-counter.ts) between the bundle and PostgreSQL and counts, per request, the simple Query and extended-protocol Execute messages the pool sent (BEGIN and COMMIT are statements too).',
    `- **Scale** (API only): two migrated databases on the same server, each with one owner and nothing else: ${n(s.scaleSizes[0])} tasks in one, ${n(s.scaleSizes[1])} in the other (INSERT … SELECT generate_series; pairs share a timestamp, so the id tie-break matters), then VACUUM ANALYZE. The deep page's cursor comes from paging through ${n(s.deepRows)} rows with the real handler; with fewer tasks the deep page is the last full page. ${s.scaleRounds} rounds alternate between the sizes, ${s.scaleIterationsPerRound} requests per page and round after ${s.scaleWarmup} of warm-up; p50 and p99 are medians over the rounds. EXPLAIN (ANALYZE, BUFFERS) runs the statement the handler sent, with the values it bound, as the counting proxy read them.`,
  ];
}

function scaleDetail(scale: ScaleResults): string[] {
  const [small, large] = scale.points;
  if (!small || !large) return [];
  const n = (value: number) => value.toLocaleString('en');
  return [
    '## Scale',
    '',
    markdownTable(
      ['tasks', 'seed + VACUUM ANALYZE', 'page', 'rows before it', 'p50', 'p99', 'plan'],
      scale.points.flatMap((point) => [
        [
          n(point.tasks),
          `${point.seedSeconds.toFixed(1)} s`,
          'first',
          '0',
          ms(point.firstPageP50Ms, 3),
          ms(point.firstPageP99Ms, 3),
          planShape(point.explainFirstPage),
        ],
        [
          '',
          '',
          'deep',
          n(point.deepRows),
          ms(point.deepPageP50Ms, 3),
          ms(point.deepPageP99Ms, 3),
          planShape(point.explainDeepPage),
        ],
      ]),
    ),
    '',
    `The list statement the API sent at ${n(large.tasks)} tasks:`,
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
    `Deep page (after ${n(large.deepRows)} rows):`,
    '',
    '```',
    large.explainDeepPage,
    '```',
    '',
  ];
}

/** The performance guide's table: where and when it was measured, the summary, what was missed. */
export function performanceGuideSummary(results: BenchResults, list: readonly Check[]): string {
  const missed = list.filter((check) => !check.met);
  const date = results.machine[0]?.replace('- Date: ', '') ?? '';
  const load = /load average ([\d.]+) at the start/.exec(results.machine.join(' '))?.[1] ?? '?';
  return [
    `Last recorded run (${results.quick ? '`npm run bench -- --quick --output bench/results.md`, a quick run' : '`npm run bench`'}, ${date}, 1-minute load average ${load} at the start on ${os.cpus().length} cores; details in [bench/results.md](../bench/results.md)); in brackets the ratio against the floor:`,
    '',
    summaryTable(results),
    '',
    missed.length === 0
      ? 'Every target met.'
      : `Targets missed in that run: ${missed.map((check) => check.check).join('; ')}.`,
  ].join('\n');
}

/** bench/results.md for a run. */
export function resultsDocument(results: BenchResults, list: readonly Check[]): string {
  const missed = list.filter((check) => !check.met);
  return [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/harness/run.ts; `npm run bench -- --help` for the options); re-run it to',
    'replace this file. Every ratio is against the floor, measured in the same run on the same machine.',
    'With `DATABASE_URL=postgres://…` it uses that server instead of an embedded PostgreSQL (throw-away',
    'databases, CREATE DATABASE privilege needed).',
    '',
    '## This run',
    '',
    ...results.machine,
    `- Mode: ${results.quick ? '**quick** (`--quick`: three short rounds, a small scale run — development numbers, noisy)' : 'full'}`,
    `- Database: ${results.database}`,
    `- Versions: ${results.targets.flatMap((target) => target.versions).join(', ')}`,
    `- Wall time of the whole suite: ${results.wallSeconds.toFixed(0)} s`,
    `- Targets: ${missed.length === 0 ? 'all met' : `missed: ${missed.map((check) => check.check).join('; ')}`}`,
    '',
    '## Summary',
    '',
    summaryTable(results),
    '',
    'In brackets: the ratio against the floor; for the in-process figures, the median of the per-round ratios (see "What is measured"), so it need not equal the ratio of the two medians shown. For throughput a higher ratio is better; for times, CPU and sizes a lower one.',
    '',
    '## Targets',
    '',
    checksTable(list),
    '',
    '## Statements per operation',
    '',
    'What each pool sent per request, counted on the wire; — where a target does not implement the operation.',
    '',
    countsTable(results),
    '',
    "<details><summary>The API's statements</summary>",
    '',
    statementsDetail(results),
    '',
    '</details>',
    '',
    '## What is measured',
    '',
    ...methodNotes(results),
    '',
    ...(results.scale ? scaleDetail(results.scale) : []),
  ].join('\n');
}
