import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  registerFirst,
} from '#runtime/errors.ts';
import type { Miss } from './user-repository.ts';

/** The problem a user statement's miss answers with. */
export function userMissError(miss: Miss): Error {
  switch (miss) {
    case 'unregistered':
      return registerFirst();
    case 'notFound':
      return new NotFoundError('No user with this id.');
    case 'forbidden':
      return new ForbiddenError('Only administrators may change a role.');
    case 'lastAdmin':
      return new ConflictError('You are the last administrator; make someone else an administrator first.');
    case 'stale':
      return new PreconditionFailedError('The user has changed since you read it; fetch it again.');
  }
}
