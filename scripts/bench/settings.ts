/** The suite's sizes: the full run stays under four minutes on two cores; `--quick` is for development. */
export interface BenchSettings {
  coldStartRuns: number;
  /** Rounds of the in-process loops (odd, so the median round is one round). */
  warmRounds: number;
  /** Invocations before the first scenario of a round (it warms the code the later ones share), and before each other one. */
  firstWarmup: number;
  warmup: number;
  /** Measured invocations per scenario and round. */
  iterations: { getTask: number; listTasks: number; createTask: number };
  scaleSizes: [number, number];
  deepRows: number;
  scaleRounds: number;
  scaleWarmup: number;
  scaleIterationsPerRound: number;
}

export const fullSettings: BenchSettings = {
  coldStartRuns: 10,
  warmRounds: 7,
  firstWarmup: 500,
  warmup: 100,
  iterations: { getTask: 400, listTasks: 250, createTask: 250 },
  scaleSizes: [1000, 1_000_000],
  deepRows: 10_000,
  scaleRounds: 3,
  scaleWarmup: 50,
  scaleIterationsPerRound: 100,
};

/** Short rounds for development on a busy machine: the same figures, far noisier. */
export const quickSettings: BenchSettings = {
  coldStartRuns: 3,
  warmRounds: 3,
  firstWarmup: 200,
  warmup: 40,
  iterations: { getTask: 120, listTasks: 80, createTask: 80 },
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
