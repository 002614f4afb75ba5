import type { OperationHandler } from '#runtime/context.ts';
import { UnauthorizedError } from '#runtime/errors.ts';
import { etag, ifMatchVersions } from '#runtime/http.ts';
import { userMissError } from './user-miss.ts';
import { updateUserIfAllowed } from './user-repository.ts';

/**
 * updateUser: replaces name and phone number; only an administrator may change a role, and the last
 * administrator may not give it up. Honours If-Match. Every check is made in the writing statement.
 */
export const updateUser: OperationHandler<'updateUser'> = async ({ params, headers, body }, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  const updated = await updateUserIfAllowed(
    db,
    principal.sub,
    params.userId,
    body,
    ifMatchVersions(headers['If-Match']),
  );
  if (typeof updated === 'string') throw userMissError(updated);
  return { status: 200, body: updated.user, headers: { ETag: etag(updated.version) } };
};
