import type { OperationHandler } from '#runtime/context.ts';
import { ForbiddenError, registerFirst, UnauthorizedError } from '#runtime/errors.ts';
import { decodeCursor, toPage } from '#runtime/http.ts';
import { listUsersForCaller } from './user-repository.ts';

/** listUsers: administrators only, oldest first, keyset-paginated. */
export const listUsers: OperationHandler<'listUsers'> = async ({ query }, { db, principal }) => {
  if (!principal) throw new UnauthorizedError();
  const limit = query.limit ?? 20;
  const page = await listUsersForCaller(db, principal.sub, { limit, after: decodeCursor(query.cursor) });
  if (page === 'unregistered') throw registerFirst();
  if (!page.allowed) throw new ForbiddenError('Only administrators may list users.');
  return { status: 200, body: toPage(page.rows, limit, (row) => row.user) };
};
