/**
 * Warm in-process: per target and round, one driver process imports the bundle and runs every
 * scenario in tinybench, one invocation at a time, pool max 1 (one Lambda instance). Many short
 * rounds take turns between the targets, the order rotating, so load from elsewhere on the machine
 * hits all of them alike. Each figure is the median over the rounds of that round's value.
 */
import path from 'node:path';
import { lambdaEnv, runDriver } from './children.ts';
import { rotated } from './cold-start.ts';
import type { LoadResult, LoadScenario } from './protocol.ts';
import { median } from './stats.ts';

export interface LoadSummary {
  name: string;
  rounds: number;
  /** Measured invocations over all rounds. */
  requests: number;
  throughputPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  /** Every round's throughput, in the order the rounds ran. */
  roundThroughputs: number[];
}

/** Runs every scenario through each target in rotating rounds; per target, one summary per scenario. */
export async function measureWarm(options: {
  driver: string;
  workDir: string;
  databaseUrl: string;
  scenarios: LoadScenario[];
  targets: ReadonlyArray<{ name: string; bundle: string }>;
  rounds: number;
}): Promise<Map<string, LoadSummary[]>> {
  const env = lambdaEnv(options.databaseUrl);
  const runs = new Map(options.targets.map((target) => [target.name, [] as LoadResult[][]]));
  for (let round = 0; round < options.rounds; round += 1) {
    for (const target of rotated(options.targets, round)) {
      const run = await runDriver(
        options.driver,
        { mode: 'load', bundle: target.bundle, scenarios: options.scenarios },
        { env, planFile: path.join(options.workDir, 'warm-plan.json') },
      );
      runs.get(target.name)?.push(run.result.load ?? []);
    }
  }
  return new Map(
    [...runs].map(([name, rounds]) => [
      name,
      options.scenarios.map((scenario, index): LoadSummary => {
        const results = rounds.map((round) => round[index]).filter((result) => result !== undefined);
        const of = (pick: (result: LoadResult) => number) => median(results.map(pick));
        return {
          name: scenario.name,
          rounds: results.length,
          requests: results.reduce((sum, result) => sum + result.iterations, 0),
          throughputPerSecond: of((result) => result.throughputPerSecond),
          p50Ms: of((result) => result.p50Ms),
          p99Ms: of((result) => result.p99Ms),
          cpuMicrosPerRequest: of((result) => result.cpuMicrosPerRequest),
          roundThroughputs: results.map((result) => result.throughputPerSecond),
        };
      }),
    ]),
  );
}
