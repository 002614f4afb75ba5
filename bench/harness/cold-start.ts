/**
 * Cold start: a fresh `node` process imports a bundle and answers its first GET /tasks (real
 * PostgreSQL, pool max 1), timed from spawn to the response's report and, inside the child, the
 * import alone. The targets take turns, the order rotating every round, so drift on the machine
 * hits all of them alike.
 */
import path from 'node:path';
import { lambdaEnv, runDriver } from './children.ts';
import type { ColdResult, Step } from './protocol.ts';
import { median } from './stats.ts';

export interface ColdStartSummary {
  runs: number;
  /** Spawn → response, as the parent sees it: median. */
  spawnToResponseMs: number;
  /** The bundle's import (module evaluation: the function's init phase): median. */
  importMs: number;
}

export interface ColdStartTarget {
  name: string;
  bundle: string;
}

/** Every round order: the targets rotated by the round number. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % Math.max(1, items.length);
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Runs `runs` cold starts of each target after one discarded run each (it warms the file cache). */
export async function measureColdStarts(options: {
  driver: string;
  workDir: string;
  databaseUrl: string;
  step: Step;
  targets: readonly ColdStartTarget[];
  runs: number;
}): Promise<Map<string, ColdStartSummary>> {
  const env = lambdaEnv(options.databaseUrl);
  const samples = new Map<string, Array<{ spawnToReportMs: number; cold: ColdResult }>>(
    options.targets.map((target) => [target.name, []]),
  );
  const once = async (target: ColdStartTarget) => {
    const run = await runDriver(
      options.driver,
      { mode: 'cold', bundle: target.bundle, step: options.step },
      { env, planFile: path.join(options.workDir, 'cold-plan.json') },
    );
    if (!run.result.cold) throw new Error('the cold-start driver reported no timings');
    return { spawnToReportMs: run.spawnToReportMs, cold: run.result.cold };
  };
  for (const target of options.targets) await once(target);
  for (let round = 0; round < options.runs; round += 1) {
    for (const target of rotated(options.targets, round)) samples.get(target.name)?.push(await once(target));
  }
  return new Map(
    [...samples].map(([name, runs]) => [
      name,
      {
        runs: runs.length,
        spawnToResponseMs: median(runs.map((run) => run.spawnToReportMs)),
        importMs: median(runs.map((run) => run.cold.importMs)),
      },
    ]),
  );
}
