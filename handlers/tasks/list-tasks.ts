import type { OperationHandler } from '#runtime/context.ts';
import { ForbiddenError, registerFirst, UnauthorizedError } from '#runtime/errors.ts';
import { decodeCursor, toPage } from '#runtime/http.ts';
import { listTasksForCaller } from './task-repository.ts';

/** listTasks: the caller's tasks (an administrator may name `ownerId`), newest first, keyset-paginated. */
export const listTasks: OperationHandler<'listTasks'> = async ({ query }, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  // What is neither the owner nor the page is a filter (taskFilters in the repository).
  const { ownerId, limit = 20, cursor, ...filters } = query;
  const page = await listTasksForCaller(db, principal.sub, { ownerId, filters, limit, after: decodeCursor(cursor) });
  if (page === 'unregistered') throw registerFirst();
  if (!page.allowed) throw new ForbiddenError("Only administrators may list other users' tasks.");
  return { status: 200, body: toPage(page.rows, limit, (row) => row.task) };
};
