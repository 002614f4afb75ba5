/**
 * Warm overhead in-process: one driver process per handler and round imports its bundle and
 * loops over proxy events (warm-up first), pool max 1 as on Lambda. Many short rounds alternate
 * between the API and the baseline, so load from elsewhere on the machine hits both alike:
 * throughput is the median of the rounds', percentiles pool every round's samples. While each
 * driver runs, the bench samples the connections it holds (the Lambda setting must hold one).
 */
import path from 'node:path';
import type pg from 'pg';
import { childEnv, runDriver } from './children.ts';
import { sampleConnections } from './database.ts';
import type { LoadScenario } from './protocol.ts';
import { type LatencySummary, percentile, summarise } from './stats.ts';

export interface LoadSummary {
  name: string;
  requests: number;
  /** The median round's. */
  throughputPerSecond: number;
  /** Every round's, in the order they ran. */
  roundThroughputs: number[];
  /** The median round's CPU time of the handler's process per request (less sensitive to other load). */
  cpuMicrosPerRequest: number;
  latency: LatencySummary;
}

export interface WarmTarget {
  name: string;
  bundle: string;
  /** application_name of its connections, for the pg_stat_activity sampler. */
  applicationName: string;
}

export interface WarmResults {
  /** Per target: one summary per scenario, in scenario order. */
  summaries: Map<string, LoadSummary[]>;
  /** Per target: the most connections it held at once. */
  peakConnections: Map<string, number>;
}

/** Runs every scenario through each target in alternating rounds of driver processes. */
export async function measureWarm(options: {
  driver: string;
  workDir: string;
  databaseUrl: string;
  client: pg.Client;
  scenarios: LoadScenario[];
  targets: WarmTarget[];
  rounds: number;
}): Promise<WarmResults> {
  const env = childEnv({ DATABASE_URL: options.databaseUrl, DB_POOL_MAX: '1' });
  const perScenario = () => options.scenarios.map(() => [] as number[]);
  const latencies = new Map(options.targets.map((target) => [target.name, perScenario()]));
  const throughputs = new Map(options.targets.map((target) => [target.name, perScenario()]));
  const cpuTimes = new Map(options.targets.map((target) => [target.name, perScenario()]));
  const peakConnections = new Map(options.targets.map((target) => [target.name, 0]));

  for (let round = 0; round < options.rounds; round += 1) {
    const order = round % 2 === 0 ? options.targets : [...options.targets].reverse();
    for (const target of order) {
      const sampler = sampleConnections(options.client, target.applicationName);
      const run = await runDriver(
        options.driver,
        { mode: 'load', bundle: target.bundle, scenarios: options.scenarios },
        { env, planFile: path.join(options.workDir, 'warm-plan.json') },
      );
      const peak = await sampler.stop();
      peakConnections.set(target.name, Math.max(peakConnections.get(target.name) ?? 0, peak));
      run.result.load?.forEach((result, index) => {
        latencies.get(target.name)?.[index]?.push(...result.latenciesMs);
        throughputs.get(target.name)?.[index]?.push((result.latenciesMs.length / result.elapsedMs) * 1000);
        cpuTimes.get(target.name)?.[index]?.push(result.cpuMicrosPerRequest);
      });
    }
  }

  const summaries = new Map(
    options.targets.map((target) => [
      target.name,
      options.scenarios.map((scenario, index): LoadSummary => {
        const samples = latencies.get(target.name)?.[index] ?? [];
        const rounds = throughputs.get(target.name)?.[index] ?? [];
        return {
          name: scenario.name,
          requests: samples.length,
          throughputPerSecond: percentile(
            [...rounds].sort((a, b) => a - b),
            50,
          ),
          roundThroughputs: rounds,
          cpuMicrosPerRequest: percentile(
            [...(cpuTimes.get(target.name)?.[index] ?? [])].sort((a, b) => a - b),
            50,
          ),
          latency: summarise(samples),
        };
      }),
    ]),
  );
  return { summaries, peakConnections };
}
