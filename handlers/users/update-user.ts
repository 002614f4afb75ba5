import type { OperationHandler } from '#runtime/context.ts';
import { ForbiddenError, NotFoundError, PreconditionFailedError } from '#runtime/errors.ts';
import { etag, expectedVersion } from '#runtime/http.ts';
import { isAdmin } from './caller.ts';
import { findUserById, replaceUserIfVersion } from './user-repository.ts';
import { findVisibleUser } from './visible-user.ts';

/**
 * updateUser: replaces name and phone number; only an administrator may change a role.
 * Honours If-Match: the row is written only if its version is still the one the caller read.
 */
export const updateUser: OperationHandler<'updateUser'> = async ({ params, headers, body }, context) => {
  const { caller, target } = await findVisibleUser(context, params.userId);
  const role = body.role ?? target.user.role;
  if (role !== target.user.role && !isAdmin(caller)) {
    throw new ForbiddenError('Only administrators may change a role.');
  }
  const updated = await replaceUserIfVersion(
    context.db,
    params.userId,
    { name: body.name, phoneNumber: body.phoneNumber ?? null, role },
    expectedVersion(headers['If-Match']),
  );
  if (!updated) {
    if (await findUserById(context.db, params.userId)) {
      throw new PreconditionFailedError('The user has changed since you read it; fetch it again.');
    }
    throw new NotFoundError('No user with this id.');
  }
  return { status: 200, body: updated.user, headers: { ETag: etag(updated.version) } };
};
