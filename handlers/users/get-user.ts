import type { OperationHandler } from '#runtime/context.ts';
import { UnauthorizedError } from '#runtime/errors.ts';
import { etag, ifNoneMatchHits } from '#runtime/http.ts';
import { userMissError } from './user-miss.ts';
import { findUserForCaller } from './user-repository.ts';

/** getUser: the caller's own profile, or anyone's for an administrator; others answer 404; a current If-None-Match, 304. */
export const getUser: OperationHandler<'getUser'> = async ({ params, headers }, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  const found = await findUserForCaller(db, principal.sub, params.userId);
  if (typeof found === 'string') throw userMissError(found);
  if (ifNoneMatchHits(headers['If-None-Match'], found.version)) {
    return { status: 304, body: undefined, headers: { ETag: etag(found.version) } };
  }
  return { status: 200, body: found.user, headers: { ETag: etag(found.version) } };
};
