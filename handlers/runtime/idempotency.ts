/**
 * Idempotency-Key support for creating operations: the first response to a key is stored in the
 * same transaction as what it created, so a retry returns it and creates nothing new. Concurrent
 * requests with one key serialise on the key's row (the second waits for the first to commit).
 */
import type { Database, Queryable } from './db.ts';
import { UnprocessableEntityError } from './errors.ts';
import { canonicalJson, sha256 } from './http.ts';

/** How long a key is remembered. */
const retentionHours = 24;

export interface IdempotentRequest {
  /** Whose key this is (the caller's Cognito sub): keys of different callers never collide. */
  scope: string;
  operationId: string;
  key: string | undefined;
  /** What the request asked for; a reused key with a different request is a 422. */
  request: unknown;
}

/** Runs `create` in a transaction, once per idempotency key. */
export async function withIdempotency<T>(
  db: Database,
  idempotent: IdempotentRequest,
  create: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const { key } = idempotent;
  if (key === undefined) return db.transaction(create);
  const fingerprint = sha256(canonicalJson(idempotent.request));
  return db.transaction(async (tx) => {
    const identity = [idempotent.scope, idempotent.operationId, key];
    // Forget this caller's expired keys (a primary-key prefix scan): the table holds at most a day of keys per caller.
    await tx.query(
      'DELETE FROM idempotency_keys WHERE scope = $1 AND created_at < now() - make_interval(hours => $2)',
      [idempotent.scope, retentionHours],
    );
    const claimed = await tx.query(
      `INSERT INTO idempotency_keys (scope, operation_id, key, fingerprint)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING
       RETURNING key`,
      [...identity, fingerprint],
    );
    if (claimed.length === 0) {
      const [first] = await tx.query<{ fingerprint: string; response: T }>(
        'SELECT fingerprint, response FROM idempotency_keys WHERE scope = $1 AND operation_id = $2 AND key = $3',
        identity,
      );
      if (!first || first.fingerprint !== fingerprint) {
        throw new UnprocessableEntityError('This Idempotency-Key was already used with a different request.');
      }
      return first.response;
    }
    const response = await create(tx);
    await tx.query('UPDATE idempotency_keys SET response = $4 WHERE scope = $1 AND operation_id = $2 AND key = $3', [
      ...identity,
      JSON.stringify(response),
    ]);
    return response;
  });
}
