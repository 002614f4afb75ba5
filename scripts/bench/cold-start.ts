/**
 * Cold start: a fresh `node` process imports a bundle and answers its first GET /tasks (real
 * PostgreSQL, pool max 1), timed from spawn to the response's report and, inside the child, from
 * the import to the response. API and baseline runs alternate, so drift on the machine hits both.
 */
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { childEnv, runDriver } from './children.ts';
import type { ColdResult } from './protocol.ts';
import { type LatencySummary, summarise } from './stats.ts';

export interface ColdStartSummary {
  runs: number;
  /** Spawn → response, as the parent sees it. */
  spawnToResponse: LatencySummary;
  /** Process start (node's time origin) → response, as the child sees it. */
  sinceProcessStart: LatencySummary;
  /** The bundle's import (module evaluation: the function's init phase). */
  import: LatencySummary;
  /** Import + first invocation (config, pool, first connection, two queries). */
  initAndFirstRequest: LatencySummary;
}

export interface ColdStartTarget {
  name: string;
  bundle: string;
  nodeArgs?: string[];
}

function summariseRuns(runs: Array<{ spawnToReportMs: number; cold: ColdResult }>): ColdStartSummary {
  return {
    runs: runs.length,
    spawnToResponse: summarise(runs.map((run) => run.spawnToReportMs)),
    sinceProcessStart: summarise(runs.map((run) => run.cold.sinceProcessStartMs)),
    import: summarise(runs.map((run) => run.cold.importMs)),
    initAndFirstRequest: summarise(runs.map((run) => run.cold.importMs + run.cold.firstRequestMs)),
  };
}

/**
 * Runs `runs` cold starts of each target (after one discarded run each, which warms the file
 * cache), alternating the order every round.
 */
export async function measureColdStarts(options: {
  driver: string;
  workDir: string;
  databaseUrl: string;
  event: APIGatewayProxyEvent;
  targets: ColdStartTarget[];
  runs: number;
}): Promise<Map<string, ColdStartSummary>> {
  const env = childEnv({ DATABASE_URL: options.databaseUrl, DB_POOL_MAX: '1' });
  const samples = new Map<string, Array<{ spawnToReportMs: number; cold: ColdResult }>>(
    options.targets.map((target) => [target.name, []]),
  );
  const once = async (target: ColdStartTarget) => {
    const run = await runDriver(
      options.driver,
      { mode: 'cold', bundle: target.bundle, event: options.event, expectStatus: 200 },
      { env, planFile: path.join(options.workDir, 'cold-plan.json'), nodeArgs: target.nodeArgs ?? [] },
    );
    if (!run.result.cold) throw new Error('the cold-start driver reported no timings');
    return { spawnToReportMs: run.spawnToReportMs, cold: run.result.cold };
  };
  for (const target of options.targets) await once(target);
  for (let round = 0; round < options.runs; round += 1) {
    const order = round % 2 === 0 ? options.targets : [...options.targets].reverse();
    for (const target of order) samples.get(target.name)?.push(await once(target));
  }
  return new Map([...samples].map(([name, runs]) => [name, summariseRuns(runs)]));
}
