import type { OperationHandler } from '#runtime/context.ts';
import { NotFoundError } from '#runtime/errors.ts';
import { deleteUserById } from './user-repository.ts';
import { findVisibleUser } from './visible-user.ts';

/** deleteUser: self or administrator; the user's tasks are deleted with them. */
export const deleteUser: OperationHandler<'deleteUser'> = async ({ params }, context) => {
  await findVisibleUser(context, params.userId);
  if (!(await deleteUserById(context.db, params.userId))) throw new NotFoundError('No user with this id.');
  return { status: 204, body: undefined };
};
