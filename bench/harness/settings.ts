/** The suite's sizes: the full run stays under four minutes on two cores; `--quick` is for development. */
export interface BenchSettings {
  coldStartRuns: number;
  /** Rounds of the in-process turns (odd, so the median round is one round). */
  warmRounds: number;
  /** Per scenario, invocations of the warm-up mix each driver serves before its first turn. */
  warmup: number;
  /** Unrecorded invocations at the start of every turn. */
  turnWarmup: number;
  /** Measured invocations per scenario and turn. */
  iterations: { getTask: number; listTasks: number; createTask: number };
  scaleSizes: [number, number];
  deepRows: number;
  scaleRounds: number;
  scaleWarmup: number;
  scaleIterationsPerRound: number;
}

export const fullSettings: BenchSettings = {
  coldStartRuns: 10,
  // Many short rounds: the turns a ratio pairs are close in time (a round of every target takes
  // about a second), and the median of the per-round ratios has many rounds to settle on.
  warmRounds: 45,
  warmup: 1500,
  turnWarmup: 10,
  iterations: { getTask: 100, listTasks: 70, createTask: 70 },
  scaleSizes: [1000, 1_000_000],
  deepRows: 10_000,
  scaleRounds: 3,
  scaleWarmup: 50,
  scaleIterationsPerRound: 100,
};

/** Short rounds for development on a busy machine: the same figures, far noisier. */
export const quickSettings: BenchSettings = {
  coldStartRuns: 3,
  warmRounds: 9,
  warmup: 500,
  turnWarmup: 10,
  iterations: { getTask: 60, listTasks: 40, createTask: 40 },
  scaleSizes: [1000, 20_000],
  deepRows: 2000,
  scaleRounds: 1,
  scaleWarmup: 20,
  scaleIterationsPerRound: 50,
};

/** The targets of issue 9, as ratios against the floor measured in the same run. */
export const targetLimits = {
  minThroughputRatio: 0.9,
  maxCpuRatio: 1.15,
  maxColdStartRatio: 1.1,
  maxBundleBytes: 200_000,
  maxScaleRatio: 1.2,
};
