import type { Handler, OperationId } from '#generated/operations.ts';
import type { Database } from './db.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Principal } from './principal.ts';

/** What every operation handler receives besides its validated input; built by the runtime. */
export interface OperationContext {
  /** The verified caller; undefined only on public operations. */
  principal: Principal | undefined;
  db: Database;
  log: Logger;
  /** Counts named events (e.g. an idempotent replay) into this invocation's EMF document. */
  metrics: Metrics;
  clock: () => Date;
  requestId: string;
}

/** An operation handler: typed by the generated operations map, given the runtime's context. */
export type OperationHandler<Op extends OperationId> = Handler<Op, OperationContext>;

/** One handler per operationId in the spec — TypeScript rejects a missing or extra one. */
export type OperationHandlers = { [Op in OperationId]: OperationHandler<Op> };
