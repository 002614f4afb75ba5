import type { OperationHandler } from '#runtime/context.ts';
import { BadRequestError, UnauthorizedError } from '#runtime/errors.ts';
import { etag } from '#runtime/http.ts';
import { withIdempotency } from '#runtime/idempotency.ts';
import { insertUserIfAbsent } from './user-repository.ts';

/**
 * registerUser: creates the caller's profile from their ID token. The role comes from the token's
 * Cognito groups at first registration only; afterwards the database is the authority.
 */
export const registerUser: OperationHandler<'registerUser'> = async ({ headers }, { principal, db }) => {
  if (!principal) throw new UnauthorizedError();
  const { email } = principal;
  if (!email) {
    throw new BadRequestError('The ID token has no email claim to register.', [
      { path: '/headers/Authorization', message: 'must carry an email claim' },
    ]);
  }
  return withIdempotency(
    db,
    { scope: principal.sub, operationId: 'registerUser', key: headers['Idempotency-Key'], request: null },
    async (tx) => {
      const { stored, created } = await insertUserIfAbsent(tx, {
        sub: principal.sub,
        email,
        name: principal.name,
        phoneNumber: principal.phoneNumber ?? null,
        role: principal.groups.includes('admin') ? 'admin' : 'user',
      });
      const headers = { ETag: etag(stored.version) };
      return created
        ? { status: 201 as const, body: stored.user, headers: { ...headers, Location: `/users/${stored.user.id}` } }
        : { status: 200 as const, body: stored.user, headers };
    },
  );
};
