import type { OperationHandler } from '#runtime/context.ts';
import { etag } from '#runtime/http.ts';
import { findVisibleUser } from './visible-user.ts';

/** getUser: the caller's own profile, or anyone's for an administrator; others answer 404. */
export const getUser: OperationHandler<'getUser'> = async ({ params }, context) => {
  const { target } = await findVisibleUser(context, params.userId);
  return { status: 200, body: target.user, headers: { ETag: etag(target.version) } };
};
