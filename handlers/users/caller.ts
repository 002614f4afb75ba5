import type { OperationContext } from '#runtime/context.ts';
import { ForbiddenError, UnauthorizedError } from '#runtime/errors.ts';
import { findUserBySub, type StoredUser } from './user-repository.ts';

/** The registered user behind the request's ID token; 403 until they have called registerUser. */
export async function requireCaller(context: OperationContext): Promise<StoredUser> {
  if (!context.principal) throw new UnauthorizedError();
  const caller = await findUserBySub(context.db, context.principal.sub);
  if (!caller) throw new ForbiddenError('Register first: POST /users creates your profile from your ID token.');
  return caller;
}

export const isAdmin = (caller: StoredUser): boolean => caller.user.role === 'admin';
