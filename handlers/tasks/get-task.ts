import type { OperationHandler } from '#runtime/context.ts';
import { NotFoundError } from '#runtime/errors.ts';
import { etag } from '#runtime/http.ts';
import { taskAccess } from './task-access.ts';
import { findTaskForCaller } from './task-repository.ts';

/** getTask: one of the caller's tasks (any for an administrator); others' tasks answer 404. */
export const getTask: OperationHandler<'getTask'> = async ({ params }, context) => {
  const found = await findTaskForCaller(context.db, params.taskId, await taskAccess(context));
  if (!found) throw new NotFoundError('No task with this id.');
  return { status: 200, body: found.task, headers: { ETag: etag(found.version) } };
};
