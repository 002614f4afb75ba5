import type { OperationHandler } from '#runtime/context.ts';
import { registerFirst, UnauthorizedError } from '#runtime/errors.ts';
import { etag } from '#runtime/http.ts';
import { findUserBySub } from './user-repository.ts';

/** getCurrentUser: the caller's own profile. */
export const getCurrentUser: OperationHandler<'getCurrentUser'> = async (_input, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  const caller = await findUserBySub(db, principal.sub);
  if (!caller) throw registerFirst();
  return { status: 200, body: caller.user, headers: { ETag: etag(caller.version) } };
};
