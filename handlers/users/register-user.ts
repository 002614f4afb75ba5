import type { OperationHandler } from '#runtime/context.ts';
import { BadRequestError, UnauthorizedError, UnprocessableEntityError } from '#runtime/errors.ts';
import { etag } from '#runtime/http.ts';
import { keyedRequest } from '#runtime/idempotency.ts';
import { insertUserIfAbsent, insertUserOnce, type Registration } from './user-repository.ts';

const answer = ({ stored, created }: Registration) => {
  const headers = { ETag: etag(stored.version) };
  return created
    ? { status: 201 as const, body: stored.user, headers: { ...headers, Location: `/users/${stored.user.id}` } }
    : { status: 200 as const, body: stored.user, headers };
};

/**
 * registerUser: creates the caller's profile from their ID token. The role comes from the token's
 * Cognito groups at first registration only; afterwards the database is the authority.
 */
export const registerUser: OperationHandler<'registerUser'> = async ({ headers }, { principal, db, metrics }) => {
  if (!principal) throw new UnauthorizedError();
  const { email } = principal;
  if (!email) {
    throw new BadRequestError('The ID token has no email claim to register.', [
      { path: '/headers/Authorization', message: 'must carry an email claim' },
    ]);
  }
  const user = {
    sub: principal.sub,
    email,
    name: principal.name,
    phoneNumber: principal.phoneNumber ?? null,
    role: principal.groups.includes('admin') ? ('admin' as const) : ('user' as const),
  };
  const keyed = keyedRequest(principal.sub, 'registerUser', headers['Idempotency-Key'], null);
  if (!keyed) return answer(await insertUserIfAbsent(db, user));
  const outcome = await insertUserOnce(db, user, keyed);
  if (outcome === 'keyReused') {
    throw new UnprocessableEntityError('This Idempotency-Key was already used with a different request.');
  }
  if (outcome.replayed) metrics.count('IdempotentReplays');
  return answer(outcome.created);
};
