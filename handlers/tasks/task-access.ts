import type { OperationContext } from '#runtime/context.ts';
import { isAdmin, requireCaller } from '../users/caller.ts';
import type { TaskAccess } from './task-repository.ts';

/** The registered caller's reach over tasks. */
export async function taskAccess(context: OperationContext): Promise<TaskAccess> {
  const caller = await requireCaller(context);
  return { callerId: caller.user.id, isAdmin: isAdmin(caller) };
}
