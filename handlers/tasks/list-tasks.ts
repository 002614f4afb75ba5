import type { OperationHandler } from '#runtime/context.ts';
import { ForbiddenError } from '#runtime/errors.ts';
import { decodeCursor, toPage } from '#runtime/http.ts';
import { taskAccess } from './task-access.ts';
import { listTasksForOwner } from './task-repository.ts';

/** listTasks: the caller's tasks (an administrator may name `ownerId`), newest first, keyset-paginated. */
export const listTasks: OperationHandler<'listTasks'> = async ({ query }, context) => {
  const access = await taskAccess(context);
  const ownerId = query.ownerId ?? access.callerId;
  if (ownerId !== access.callerId && !access.isAdmin) {
    throw new ForbiddenError("Only administrators may list other users' tasks.");
  }
  const limit = query.limit ?? 20;
  const rows = await listTasksForOwner(context.db, {
    ownerId,
    status: query.status,
    limit,
    after: decodeCursor(query.cursor),
  });
  return { status: 200, body: toPage(rows, limit, (row) => row.task) };
};
