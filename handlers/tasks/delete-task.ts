import type { OperationHandler } from '#runtime/context.ts';
import { NotFoundError, PreconditionFailedError, registerFirst, UnauthorizedError } from '#runtime/errors.ts';
import { ifMatchVersions } from '#runtime/http.ts';
import { deleteTaskIfVersion } from './task-repository.ts';

/** deleteTask: deletes one of the caller's tasks (any for an administrator); with If-Match, only that version. */
export const deleteTask: OperationHandler<'deleteTask'> = async ({ params, headers }, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  const outcome = await deleteTaskIfVersion(db, principal.sub, params.taskId, ifMatchVersions(headers['If-Match']));
  if (outcome === 'unregistered') throw registerFirst();
  if (outcome === 'notFound') throw new NotFoundError('No task with this id.');
  if (outcome === 'stale') throw new PreconditionFailedError('The task has changed since you read it; fetch it again.');
  return { status: 204, body: undefined };
};
