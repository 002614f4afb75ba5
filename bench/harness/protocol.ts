/**
 * What the bench parent and its child processes exchange: the lambda driver's plans and results
 * (a JSON file in, one JSON line out on file descriptor 3, so the handler's own stdout logging
 * never mixes with results).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { SentStatement } from '../../test/support/statement-counter.ts';

/** The file descriptor children report on. */
export const reportFd = 3;

/** One invocation and the status it must answer. */
export interface Step {
  name: string;
  event: APIGatewayProxyEvent;
  expectStatus: number;
}

/** A run of identical invocations, one at a time (what one Lambda instance does), after a warm-up. */
export interface LoadScenario extends Step {
  warmup: number;
  iterations: number;
}

export type DriverPlan =
  /** Import the bundle and answer one event: a cold start. */
  | { mode: 'cold'; bundle: string; step: Step }
  /** Import the bundle and run each scenario in turn. */
  | { mode: 'load'; bundle: string; scenarios: LoadScenario[] }
  /**
   * Import the bundle, run every scenario's warm-up (interleaved, so every path is warm), report
   * `ready`, then run each turn the parent writes on stdin and report its result; exit when stdin ends.
   */
  | { mode: 'serve'; bundle: string; scenarios: LoadScenario[] }
  /** Import the bundle behind a statement counter and run the steps in order, recording what each sent. */
  | { mode: 'record'; bundle: string; steps: Step[] }
  /** Page through `rows` rows of GET /tasks (pages of up to 100) and return the cursor after them. */
  | { mode: 'walk'; bundle: string; event: APIGatewayProxyEvent; rows: number };

export interface ColdResult {
  /** From the process's time origin (its start) to the first response. */
  sinceProcessStartMs: number;
  /** Dynamic import of the bundle: module evaluation, the function's init phase. */
  importMs: number;
  /** The first invocation, including lazy init (config, pool, first connection). */
  firstRequestMs: number;
}

/** One measured turn of a serving driver: `warmup` unrecorded invocations, then `iterations` measured. */
export interface Turn {
  /** Index into the plan's scenarios. */
  scenario: number;
  warmup: number;
  iterations: number;
}

export interface LoadResult {
  name: string;
  iterations: number;
  /** tinybench's latency percentiles of the measured iterations. */
  p50Ms: number;
  p99Ms: number;
  throughputPerSecond: number;
  /** CPU time (user + system) the driver process spent per measured invocation. */
  cpuMicrosPerRequest: number;
}

export interface RecordResult {
  name: string;
  status: number;
  statements: SentStatement[];
}

export interface WalkResult {
  cursor: string;
  rowsWalked: number;
  pages: number;
}

export type DriverResult =
  | {
      ok: true;
      cold?: ColdResult;
      ready?: true;
      load?: LoadResult[];
      record?: RecordResult[];
      walk?: WalkResult;
    }
  | { ok: false; error: string };
