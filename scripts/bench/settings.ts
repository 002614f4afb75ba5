/** The suite's sizes: bounded so a run stays well under five minutes on two cores. */
export const settings = {
  coldStartRuns: 15,
  coldStartRunsWithSourceMaps: 10,
  /** Odd, so the median round is one round. */
  warmRounds: 7,
  /** The first scenario's warm-up also warms the code the later ones share. */
  firstWarmup: 1000,
  warmup: 300,
  readIterations: 800,
  writeIterations: 400,
  lambdaConcurrency: 8,
  httpConnections: 10,
  /** The local default of DB_POOL_MAX (handlers/runtime/config.ts). */
  httpPoolMax: 10,
  httpRounds: 4,
  httpWarmupSeconds: 2,
  httpSeconds: 2,
  scaleSizes: [1000, 1_000_000],
  deepRows: 10_000,
  scaleRounds: 3,
  scaleWarmup: 50,
  scaleIterationsPerRound: 100,
  maxBundleBytes: 1_000_000,
};
