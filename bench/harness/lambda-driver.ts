/**
 * The bench's stand-in for the Lambda runtime: a fresh `node` process that imports a production
 * bundle and invokes its `handler` with proxy events and a Lambda context, one at a time, as one
 * instance does. Bundled by esbuild next to the bundles it drives (no tsx at run time), so a cold
 * start here is node's start, the bundle's import and its first invocation. Load loops run in
 * tinybench. Usage: `node driver.mjs <plan.json>`; the result is one JSON line on file descriptor 3.
 */
import { readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { Bench } from 'tinybench';
import { type StatementCounter, startStatementCounter } from '../../test/support/statement-counter.ts';
import type {
  DriverPlan,
  DriverResult,
  LoadResult,
  LoadScenario,
  RecordResult,
  Step,
  Turn,
  WalkResult,
} from './protocol.ts';
import { reportFd } from './protocol.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** What the Lambda runtime passes every invocation (middy and Powertools read it). */
const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'taskboard-bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:taskboard-bench',
  memoryLimitInMB: '1024',
  awsRequestId: 'bench-request',
  logGroupName: '/aws/lambda/taskboard-bench',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 29_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** Writes one result line for the parent. */
const send = (result: DriverResult) => writeSync(reportFd, `${JSON.stringify(result)}\n`);

function report(result: DriverResult): never {
  send(result);
  // The handler's pool keeps sockets open, as a frozen Lambda would: leave explicitly.
  process.exit(result.ok ? 0 : 1);
}

/**
 * Invokes `handler` with a fresh copy of the step's event, as the Lambda runtime hands every
 * invocation its own (middy's body parser and router write into the event they get).
 */
async function invoke(
  handler: Handler,
  step: Step,
  event = structuredClone(step.event),
): Promise<APIGatewayProxyResult> {
  const result = await handler(event, context);
  if (result.statusCode !== step.expectStatus) {
    throw new Error(
      `${step.name} answered ${result.statusCode}, expected ${step.expectStatus}: ${String(result.body).slice(0, 300)}`,
    );
  }
  return result;
}

async function load(handler: Handler, scenario: LoadScenario): Promise<LoadResult> {
  for (let index = 0; index < scenario.warmup; index += 1) await invoke(handler, scenario);
  // The copies are made before the clock starts: the runtime's event parsing is no target's cost.
  const events = Array.from({ length: scenario.iterations }, () => structuredClone(scenario.event));
  const bench = new Bench({ iterations: scenario.iterations, time: 0, warmup: false, throws: true });
  bench.add(scenario.name, async () => {
    await invoke(handler, scenario, events.pop());
  });
  const cpuBefore = process.cpuUsage();
  await bench.run();
  const cpu = process.cpuUsage(cpuBefore);
  const result = bench.tasks[0]?.result;
  if (result?.state !== 'completed') throw new Error(`${scenario.name}: tinybench ended ${result?.state}`);
  return {
    name: scenario.name,
    iterations: result.latency.samplesCount,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    throughputPerSecond: (result.latency.samplesCount / result.totalTime) * 1000,
    cpuMicrosPerRequest: (cpu.user + cpu.system) / result.latency.samplesCount,
  };
}

/**
 * Serve mode: the scenarios' warm-ups interleaved (a request mix, so every path the later turns
 * take is compiled, as on an instance that has served a while), then one measured turn per line on
 * stdin, until stdin ends.
 */
async function serve(handler: Handler, scenarios: LoadScenario[]): Promise<void> {
  const longest = Math.max(0, ...scenarios.map((scenario) => scenario.warmup));
  for (let index = 0; index < longest; index += 1) {
    for (const scenario of scenarios) if (index < scenario.warmup) await invoke(handler, scenario);
  }
  send({ ok: true, ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    const turn = JSON.parse(line) as Turn;
    const scenario = scenarios[turn.scenario];
    if (!scenario) throw new Error(`No scenario ${turn.scenario}`);
    send({ ok: true, load: [await load(handler, { ...scenario, warmup: turn.warmup, iterations: turn.iterations })] });
  }
}

/** Lets work a handler left running after its response (unawaited statements) reach the counter. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function record(handler: Handler, counter: StatementCounter, steps: Step[]): Promise<RecordResult[]> {
  const results: RecordResult[] = [];
  for (const step of steps) {
    await settle();
    counter.reset();
    const response = await invoke(handler, step);
    await settle();
    results.push({ name: step.name, status: response.statusCode, statements: [...counter.statements] });
  }
  return results;
}

async function walk(handler: Handler, event: APIGatewayProxyEvent, rows: number): Promise<WalkResult> {
  let cursor: string | undefined;
  let rowsWalked = 0;
  let pages = 0;
  while (rowsWalked < rows) {
    const limit = String(Math.min(100, rows - rowsWalked));
    const result = await invoke(handler, {
      name: 'GET /tasks',
      event: { ...event, queryStringParameters: { limit, ...(cursor ? { cursor } : {}) } },
      expectStatus: 200,
    });
    const page = JSON.parse(result.body) as { items: unknown[]; nextCursor: string | null };
    if (!page.nextCursor) throw new Error(`The list ended after ${rowsWalked + page.items.length} rows`);
    cursor = page.nextCursor;
    rowsWalked += page.items.length;
    pages += 1;
  }
  if (!cursor) throw new Error('Nothing to walk');
  return { cursor, rowsWalked, pages };
}

/**
 * Node.js 21 and later (the Lambda runtime is 24) define `navigator`. pg probes it when imported
 * and, without it, constructs a `Response`, which makes Node.js 20 load its whole fetch
 * implementation (tens of milliseconds, in every bundle alike). Define it as newer Node.js does,
 * so a cold start here costs what it costs on the Lambda runtime.
 */
function defineNavigatorAsNewerNode(): void {
  if ('navigator' in globalThis) return;
  const major = process.versions.node.split('.')[0] ?? '';
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${major}` }, configurable: true });
}

async function main(): Promise<void> {
  defineNavigatorAsNewerNode();
  const planFile = process.argv[2];
  if (!planFile) throw new Error('usage: driver.mjs <plan.json>');
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as DriverPlan;
  // Before the import: the bundle reads DATABASE_URL at init.
  const counter = plan.mode === 'record' ? await startStatementCounter(process.env.DATABASE_URL ?? '') : undefined;
  if (counter) process.env.DATABASE_URL = counter.url;
  const importStarted = performance.now();
  const { handler } = (await import(pathToFileURL(plan.bundle).href)) as { handler: Handler };
  const imported = performance.now();
  switch (plan.mode) {
    case 'cold': {
      await invoke(handler, plan.step);
      const answered = performance.now();
      report({
        ok: true,
        cold: {
          sinceProcessStartMs: answered,
          importMs: imported - importStarted,
          firstRequestMs: answered - imported,
        },
      });
      break;
    }
    case 'load': {
      const results: LoadResult[] = [];
      for (const scenario of plan.scenarios) results.push(await load(handler, scenario));
      report({ ok: true, load: results });
      break;
    }
    case 'serve':
      await serve(handler, plan.scenarios);
      report({ ok: true });
      break;
    case 'record':
      if (!counter) throw new Error('no statement counter');
      report({ ok: true, record: await record(handler, counter, plan.steps) });
      break;
    case 'walk':
      report({ ok: true, walk: await walk(handler, plan.event, plan.rows) });
  }
}

main().catch((error: unknown) => {
  report({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
