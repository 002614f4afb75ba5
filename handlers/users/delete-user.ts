import type { OperationHandler } from '#runtime/context.ts';
import { UnauthorizedError } from '#runtime/errors.ts';
import { ifMatchVersions } from '#runtime/http.ts';
import { userMissError } from './user-miss.ts';
import { deleteUserIfAllowed } from './user-repository.ts';

/** deleteUser: self or administrator; the user's tasks and Idempotency-Keys go with them; never the last administrator. */
export const deleteUser: OperationHandler<'deleteUser'> = async ({ params, headers }, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  const outcome = await deleteUserIfAllowed(db, principal.sub, params.userId, ifMatchVersions(headers['If-Match']));
  if (outcome !== 'deleted') throw userMissError(outcome);
  return { status: 204, body: undefined };
};
