import type { OperationHandler } from '#runtime/context.ts';
import { ForbiddenError } from '#runtime/errors.ts';
import { decodeCursor, encodeCursor } from '#runtime/http.ts';
import { isAdmin, requireCaller } from './caller.ts';
import { listUsersPage } from './user-repository.ts';

/** listUsers: administrators only, oldest first, keyset-paginated. */
export const listUsers: OperationHandler<'listUsers'> = async ({ query }, context) => {
  const caller = await requireCaller(context);
  if (!isAdmin(caller)) throw new ForbiddenError('Only administrators may list users.');
  const limit = query.limit ?? 20;
  const rows = await listUsersPage(context.db, { limit, after: decodeCursor(query.cursor) });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    status: 200,
    body: {
      items: page.map((row) => row.user),
      nextCursor: rows.length > limit && last ? encodeCursor(last.cursor) : null,
    },
  };
};
