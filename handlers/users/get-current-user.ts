import type { OperationHandler } from '#runtime/context.ts';
import { etag } from '#runtime/http.ts';
import { requireCaller } from './caller.ts';

/** getCurrentUser: the caller's own profile. */
export const getCurrentUser: OperationHandler<'getCurrentUser'> = async (_input, context) => {
  const caller = await requireCaller(context);
  return { status: 200, body: caller.user, headers: { ETag: etag(caller.version) } };
};
