/**
 * The bench's stand-in for the Lambda runtime: a fresh `node` process that imports a production
 * bundle and invokes its `handler` with proxy events, one at a time or `concurrency` at a time.
 * Bundled by esbuild next to the bundles it drives (no tsx at run time, nothing else loaded), so
 * a cold start here is node's start, the bundle's import and its first invocation.
 * Usage: `node driver.mjs <plan.json>`; the result is one JSON line on file descriptor 3.
 */
import { readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { DriverPlan, DriverResult, LoadResult, LoadScenario, WalkResult } from './protocol.ts';
import { reportFd } from './protocol.ts';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

function report(result: DriverResult): never {
  writeSync(reportFd, `${JSON.stringify(result)}\n`);
  // The handler's pool keeps sockets open, as a frozen Lambda would: leave explicitly.
  process.exit(result.ok ? 0 : 1);
}

function expect(result: APIGatewayProxyResult, status: number, what: string): void {
  if (result.statusCode !== status) {
    throw new Error(`${what} answered ${result.statusCode}, expected ${status}: ${result.body.slice(0, 300)}`);
  }
}

async function load(handler: Handler, scenario: LoadScenario): Promise<LoadResult> {
  const run = async (count: number, latencies: number[] | undefined) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next += 1;
        const began = performance.now();
        const result = await handler(scenario.event);
        latencies?.push(performance.now() - began);
        expect(result, scenario.expectStatus, scenario.name);
      }
    };
    await Promise.all(Array.from({ length: scenario.concurrency }, worker));
  };
  await run(scenario.warmup, undefined);
  const latenciesMs: number[] = [];
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  await run(scenario.iterations, latenciesMs);
  const elapsedMs = performance.now() - began;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    name: scenario.name,
    latenciesMs,
    elapsedMs,
    cpuMicrosPerRequest: (cpu.user + cpu.system) / scenario.iterations,
  };
}

async function walk(handler: Handler, event: APIGatewayProxyEvent, rows: number): Promise<WalkResult> {
  let cursor: string | undefined;
  let rowsWalked = 0;
  let pages = 0;
  while (rowsWalked < rows) {
    const limit = String(Math.min(100, rows - rowsWalked));
    const result = await handler({ ...event, queryStringParameters: { limit, ...(cursor ? { cursor } : {}) } });
    expect(result, 200, 'GET /tasks');
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
 * Node.js 21 and later (the Lambda runtime is 22) define `navigator`. pg probes it when imported
 * and, without it, constructs a `Response`, which makes Node.js 20 load its whole fetch
 * implementation (tens of milliseconds, in both bundles alike). Define it as newer Node.js does,
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
  const importStarted = performance.now();
  const { handler } = (await import(pathToFileURL(plan.bundle).href)) as { handler: Handler };
  const imported = performance.now();
  switch (plan.mode) {
    case 'cold': {
      const result = await handler(plan.event);
      const answered = performance.now();
      expect(result, plan.expectStatus, 'the first request');
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
    case 'walk':
      report({ ok: true, walk: await walk(handler, plan.event, plan.rows) });
  }
}

main().catch((error: unknown) => {
  report({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
