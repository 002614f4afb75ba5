/**
 * Warm in-process: per target, one driver process imports the bundle, as one Lambda instance (pool
 * max 1, one invocation at a time), and serves a warm-up mix of every scenario, so what is measured
 * is the steady state of an instance that has served a while, not V8 compiling the code. Then the
 * drivers take turns: every round runs each scenario on every target in turn, the order rotating,
 * so a slow moment of the machine falls on all targets alike and each target's turn of a scenario
 * sits next to the others' in time. Each figure is the median over the rounds of that turn's value;
 * a ratio between two targets is the median of their per-round ratios (results.ts), so a slow moment
 * of the machine, which falls on the turns of one round, cancels out of it.
 */
import path from 'node:path';
import { lambdaEnv, type ServingDriver, startServingDriver } from './children.ts';
import { rotated } from './cold-start.ts';
import type { LoadResult, LoadScenario } from './protocol.ts';
import { median } from './stats.ts';

/** What one turn measured, or (in a summary) the median of a figure over the rounds. */
export interface LoadFigures {
  throughputPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
}

export interface LoadSummary extends LoadFigures {
  name: string;
  rounds: number;
  /** Measured invocations over all rounds. */
  requests: number;
  /** Each round's turn, in round order: the turns of one round sit next to each other in time. */
  perRound: LoadFigures[];
}

/** Runs every scenario through each target in rotating rounds; per target, one summary per scenario. */
export async function measureWarm(options: {
  driver: string;
  workDir: string;
  databaseUrl: string;
  /** `warmup`: each scenario's share of the warm-up mix; `iterations`: measured per turn. */
  scenarios: LoadScenario[];
  targets: ReadonlyArray<{ name: string; bundle: string }>;
  rounds: number;
  /** Unrecorded invocations at the start of every turn (the instance was idle while others ran). */
  turnWarmup: number;
}): Promise<Map<string, LoadSummary[]>> {
  const env = lambdaEnv(options.databaseUrl);
  const drivers = new Map<string, ServingDriver>();
  try {
    // One after another, so no target's warm-up competes with another's for the two cores.
    for (const target of options.targets) {
      drivers.set(
        target.name,
        await startServingDriver(
          options.driver,
          { mode: 'serve', bundle: target.bundle, scenarios: options.scenarios },
          { env, planFile: path.join(options.workDir, `serve-${target.name}.json`) },
        ),
      );
    }
    const runs = new Map(
      options.targets.map((target) => [target.name, options.scenarios.map(() => [] as LoadResult[])]),
    );
    for (let round = 0; round < options.rounds; round += 1) {
      for (const [index, scenario] of options.scenarios.entries()) {
        for (const target of rotated(options.targets, round + index)) {
          const driver = drivers.get(target.name);
          if (!driver) throw new Error(`${target.name} has no driver`);
          const result = await driver.turn({
            scenario: index,
            warmup: options.turnWarmup,
            iterations: scenario.iterations,
          });
          runs.get(target.name)?.[index]?.push(result);
        }
      }
    }
    return new Map(
      [...runs].map(([name, perScenario]) => [
        name,
        options.scenarios.map((scenario, index): LoadSummary => {
          const results = perScenario[index] ?? [];
          const of = (pick: (result: LoadResult) => number) => median(results.map(pick));
          return {
            name: scenario.name,
            rounds: results.length,
            requests: results.reduce((sum, result) => sum + result.iterations, 0),
            throughputPerSecond: of((result) => result.throughputPerSecond),
            p50Ms: of((result) => result.p50Ms),
            p99Ms: of((result) => result.p99Ms),
            cpuMicrosPerRequest: of((result) => result.cpuMicrosPerRequest),
            perRound: results.map(({ throughputPerSecond, p50Ms, p99Ms, cpuMicrosPerRequest }) => ({
              throughputPerSecond,
              p50Ms,
              p99Ms,
              cpuMicrosPerRequest,
            })),
          };
        }),
      ]),
    );
  } finally {
    await Promise.all([...drivers.values()].map((driver) => driver.close()));
  }
}
