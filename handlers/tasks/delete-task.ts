import type { OperationHandler } from '#runtime/context.ts';
import { NotFoundError } from '#runtime/errors.ts';
import { taskAccess } from './task-access.ts';
import { deleteTaskForCaller } from './task-repository.ts';

/** deleteTask: deletes one of the caller's tasks (any for an administrator). */
export const deleteTask: OperationHandler<'deleteTask'> = async ({ params }, context) => {
  if (!(await deleteTaskForCaller(context.db, params.taskId, await taskAccess(context)))) {
    throw new NotFoundError('No task with this id.');
  }
  return { status: 204, body: undefined };
};
