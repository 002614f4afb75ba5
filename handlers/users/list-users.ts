import type { OperationHandler } from '#runtime/context.ts';
import { ForbiddenError } from '#runtime/errors.ts';
import { decodeCursor, toPage } from '#runtime/http.ts';
import { isAdmin, requireCaller } from './caller.ts';
import { listUsersPage } from './user-repository.ts';

/** listUsers: administrators only, oldest first, keyset-paginated. */
export const listUsers: OperationHandler<'listUsers'> = async ({ query }, context) => {
  const caller = await requireCaller(context);
  if (!isAdmin(caller)) throw new ForbiddenError('Only administrators may list users.');
  const limit = query.limit ?? 20;
  const rows = await listUsersPage(context.db, { limit, after: decodeCursor(query.cursor) });
  return { status: 200, body: toPage(rows, limit, (row) => row.user) };
};
