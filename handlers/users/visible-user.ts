import type { OperationContext } from '#runtime/context.ts';
import { NotFoundError } from '#runtime/errors.ts';
import { isAdmin, requireCaller } from './caller.ts';
import { findUserById, type StoredUser } from './user-repository.ts';

/** The user `userId` names, if the caller may see them (themselves, or anyone for an admin); 404 otherwise. */
export async function findVisibleUser(
  context: OperationContext,
  userId: string,
): Promise<{ caller: StoredUser; target: StoredUser }> {
  const caller = await requireCaller(context);
  const target =
    caller.user.id === userId ? caller : isAdmin(caller) ? await findUserById(context.db, userId) : undefined;
  if (!target) throw new NotFoundError('No user with this id.');
  return { caller, target };
}
