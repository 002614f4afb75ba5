import type { OperationHandler } from '#runtime/context.ts';
import { NotFoundError, registerFirst, UnauthorizedError } from '#runtime/errors.ts';
import { etag, ifNoneMatchHits } from '#runtime/http.ts';
import { findTaskForCaller } from './task-repository.ts';

/** getTask: one of the caller's tasks (any for an administrator); others' tasks answer 404; a current If-None-Match, 304. */
export const getTask: OperationHandler<'getTask'> = async ({ params, headers }, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  const found = await findTaskForCaller(db, principal.sub, params.taskId);
  if (found === 'unregistered') throw registerFirst();
  if (found === 'notFound') throw new NotFoundError('No task with this id.');
  if (ifNoneMatchHits(headers['If-None-Match'], found.version)) {
    return { status: 304, body: undefined, headers: { ETag: etag(found.version) } };
  }
  return { status: 200, body: found.task, headers: { ETag: etag(found.version) } };
};
