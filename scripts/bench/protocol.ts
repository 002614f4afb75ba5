/**
 * What the bench parent and its child processes exchange: the lambda driver's plans and results
 * (a JSON file in, one JSON line out on file descriptor 3, so the handler's own stdout logging
 * never mixes with results).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** The file descriptor children report on. */
export const reportFd = 3;

/** A stream of identical invocations, `concurrency` in flight at a time. */
export interface LoadScenario {
  name: string;
  event: APIGatewayProxyEvent;
  warmup: number;
  iterations: number;
  concurrency: number;
  expectStatus: number;
}

export type DriverPlan =
  /** Import the bundle and answer one event: a cold start. */
  | { mode: 'cold'; bundle: string; event: APIGatewayProxyEvent; expectStatus: number }
  /** Import the bundle and run each scenario in turn. */
  | { mode: 'load'; bundle: string; scenarios: LoadScenario[] }
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

export interface LoadResult {
  name: string;
  latenciesMs: number[];
  elapsedMs: number;
  /** CPU time (user + system) the driver process spent per measured invocation. */
  cpuMicrosPerRequest: number;
}

export interface WalkResult {
  cursor: string;
  rowsWalked: number;
  pages: number;
}

export type DriverResult =
  | { ok: true; cold?: ColdResult; load?: LoadResult[]; walk?: WalkResult }
  | { ok: false; error: string };
