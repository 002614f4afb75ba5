/**
 * Idempotency-Key support for creating operations. A keyed create is one statement (the
 * repositories write it): it reads the key's prior claim, and otherwise claims the key — storing the
 * new row as the response — and inserts the row only if the claim succeeded. A retry returns the
 * stored row and creates nothing new. Keys are remembered for `retentionHours` and then deleted in
 * batches by a scheduled sweep (not by the requests).
 */
import type { Queryable, Row } from './db.ts';
import { ServiceUnavailableError } from './errors.ts';
import { canonicalJson, sha256 } from './http.ts';
import { idempotencyRetentionHours } from './idempotency-retention.ts';

/** How long a key is remembered, at least: the sweep deletes keys older than this. */
const retentionHours = idempotencyRetentionHours;

/** The key's claim, unless it is past retention (a key the sweep has not reached yet is forgotten all the same). */
export const priorClaim = (scope: string, operationId: string, key: string): string =>
  `SELECT fingerprint, response FROM idempotency_keys
   WHERE scope = ${scope} AND operation_id = ${operationId} AND key = ${key}
     AND created_at > now() - make_interval(hours => ${retentionHours})`;

/** How a claim treats an existing row for its key: an expired one is taken over, a live one wins. */
export const claimConflict = `ON CONFLICT (scope, operation_id, key) DO UPDATE
  SET fingerprint = EXCLUDED.fingerprint, response = EXCLUDED.response, created_at = EXCLUDED.created_at
  WHERE idempotency_keys.created_at <= now() - make_interval(hours => ${retentionHours})`;

/** A create request's key: whose it is, for which operation, and what it asked for. */
export interface Keyed {
  /** Whose key this is (the caller's Cognito sub): keys of different callers never collide. */
  scope: string;
  operationId: string;
  key: string;
  /** A hash of what the request asked for; a reused key with a different request is a 422. */
  fingerprint: string;
}

/** The key for a request, or undefined when it sent none. */
export function keyedRequest(
  scope: string,
  operationId: string,
  key: string | undefined,
  request: unknown,
): Keyed | undefined {
  if (key === undefined) return undefined;
  return { scope, operationId, key, fingerprint: sha256(canonicalJson(request)) };
}

/** What a keyed create did: created the row now, replayed the first one, or found the key used for another request. */
export type KeyedOutcome<T> = { created: T; replayed: boolean } | 'keyReused';

/** The row a keyed-create statement returns. */
interface KeyedRow<R> extends Row {
  /** False when the statement found no registered caller (omitted where none is needed). */
  registered?: boolean;
  fingerprint: string | null;
  prior: R | null;
  created: R | null;
}

/**
 * Runs a keyed-create statement and reads its outcome. The statement sees the table as it was when
 * it started: if a concurrent request with the same key claimed it meanwhile, this one claims and
 * inserts nothing and cannot see the winner's claim either — so it runs once more, and then does.
 */
export async function keyedCreate<R extends Row, T>(
  db: Queryable,
  keyed: Keyed,
  read: (stored: R) => T,
  statement: { text: string; values: unknown[] },
): Promise<KeyedOutcome<T> | 'unregistered'> {
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const [row] = await db.query<KeyedRow<R>>(statement.text, statement.values);
    if (row?.registered === false) return 'unregistered';
    if (row?.prior)
      return row.fingerprint === keyed.fingerprint ? { created: read(row.prior), replayed: true } : 'keyReused';
    if (row?.created) return { created: read(row.created), replayed: false };
  }
  throw new ServiceUnavailableError('Another request with this Idempotency-Key is in progress; retry shortly.', 1, {
    reason: 'contention',
  });
}
