import type { OperationHandler } from '#runtime/context.ts';
import { NotFoundError, PreconditionFailedError } from '#runtime/errors.ts';
import { etag, expectedVersion } from '#runtime/http.ts';
import { taskAccess } from './task-access.ts';
import { findTaskForCaller, updateTaskIfVersion } from './task-repository.ts';

/** updateTask: changes the fields sent; with If-Match, only if the task is still the version the caller read. */
export const updateTask: OperationHandler<'updateTask'> = async ({ params, headers, body }, context) => {
  const access = await taskAccess(context);
  const updated = await updateTaskIfVersion(
    context.db,
    params.taskId,
    access,
    body,
    expectedVersion(headers['If-Match']),
  );
  if (!updated) {
    if (await findTaskForCaller(context.db, params.taskId, access)) {
      throw new PreconditionFailedError('The task has changed since you read it; fetch it again.');
    }
    throw new NotFoundError('No task with this id.');
  }
  return { status: 200, body: updated.task, headers: { ETag: etag(updated.version) } };
};
