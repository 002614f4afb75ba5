import type { OperationHandler } from '#runtime/context.ts';
import { NotFoundError, PreconditionFailedError, registerFirst, UnauthorizedError } from '#runtime/errors.ts';
import { etag, ifMatchVersions } from '#runtime/http.ts';
import { updateTaskIfVersion } from './task-repository.ts';

/** updateTask: changes the fields sent; with If-Match, only if the task is still a version the caller read. */
export const updateTask: OperationHandler<'updateTask'> = async ({ params, headers, body }, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  const updated = await updateTaskIfVersion(
    db,
    principal.sub,
    params.taskId,
    body,
    ifMatchVersions(headers['If-Match']),
  );
  if (updated === 'unregistered') throw registerFirst();
  if (updated === 'notFound') throw new NotFoundError('No task with this id.');
  if (updated === 'stale') throw new PreconditionFailedError('The task has changed since you read it; fetch it again.');
  return { status: 200, body: updated.task, headers: { ETag: etag(updated.version) } };
};
