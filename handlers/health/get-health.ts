import type { OperationHandler } from '#runtime/context.ts';
import { ServiceUnavailableError } from '#runtime/errors.ts';

/** getHealth: one round trip to the database; any failure to answer is a 503. */
export const getHealth: OperationHandler<'getHealth'> = async (_input, { db, log }) => {
  try {
    await db.query('SELECT 1');
  } catch (error) {
    if (!(error instanceof ServiceUnavailableError)) log.warn('health check failed', { error });
    throw error instanceof ServiceUnavailableError
      ? error
      : new ServiceUnavailableError('The database does not answer.', 2, { cause: error });
  }
  return { status: 200, body: { status: 'ok', database: 'ok' } };
};
