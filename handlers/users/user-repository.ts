/**
 * SQL for users: one parameterised statement per operation, the caller resolved inside it by their
 * Cognito sub, and the outcome read from its result row. Decisions that depend on rows — may the
 * caller change this role? is this the last administrator? — are made inside the statement that
 * writes, on locked rows: the caller's and the target's, and the administrator count only when an
 * administrator is added or removed (its refusal is the one outcome that arrives as an error).
 * Rows are mapped to API shapes in `toUser` only.
 */

import type { Queryable } from '#db';
import type { components } from '#generated/api.ts';
import { type Cursor, isoTimestamp } from '#runtime/http.ts';
import { claimConflict, type Keyed, type KeyedOutcome, keyedCreate, priorClaim } from '#runtime/idempotency.ts';

export type User = components['schemas']['User'];
export type Role = components['schemas']['Role'];
export type UserChanges = components['schemas']['UserUpdate'];

/** A user row as the API shows it, plus the version its ETag carries. */
export interface StoredUser {
  user: User;
  version: number;
}

/** Why a statement wrote or returned nothing. */
export type Miss = 'unregistered' | 'notFound' | 'stale' | 'forbidden' | 'lastAdmin';

/** A user row as selected by `columns` — or, for an idempotent replay, as stored in JSON. */
interface UserRow extends Record<string, unknown> {
  id: string;
  email: string;
  name: string;
  phone_number: string | null;
  role: Role;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const columns = (u: string) =>
  `${u}.id, ${u}.email, ${u}.name, ${u}.phone_number, ${u}.role, ${u}.version, ${u}.created_at, ${u}.updated_at`;

function toUser(row: UserRow): StoredUser {
  return {
    user: {
      id: row.id,
      email: row.email,
      name: row.name,
      phoneNumber: row.phone_number,
      role: row.role,
      createdAt: isoTimestamp(row.created_at),
      updatedAt: isoTimestamp(row.updated_at),
    },
    version: row.version,
  };
}

/** The caller's own profile. */
export async function findUserBySub(db: Queryable, sub: string): Promise<StoredUser | undefined> {
  const [row] = await db.query<UserRow>(`SELECT ${columns('users')} FROM users WHERE cognito_sub = $1`, [sub]);
  return row && toUser(row);
}

/** The user `id` if the caller may see them: themselves, or anyone for an administrator. */
export async function findUserForCaller(
  db: Queryable,
  sub: string,
  id: string,
): Promise<StoredUser | 'unregistered' | 'notFound'> {
  const [row] = await db.query<UserRow>(
    `SELECT ${columns('u')} FROM users c
     LEFT JOIN users u ON u.id = $2 AND (u.id = c.id OR c.role = 'admin')
     WHERE c.cognito_sub = $1`,
    [sub, id],
  );
  if (!row) return 'unregistered';
  return row.id ? toUser(row) : 'notFound';
}

export interface UserPage {
  /** Only administrators list users. */
  allowed: boolean;
  rows: StoredUser[];
}

/** One page of users, oldest first, after `after`. Returns one extra row to tell whether more exist. */
export async function listUsersForCaller(
  db: Queryable,
  sub: string,
  page: { limit: number; after: Cursor | undefined },
): Promise<UserPage | 'unregistered'> {
  const rows = await db.query<UserRow & { allowed: boolean }>(
    `SELECT c.role = 'admin' AS allowed, u.*
     FROM users c
     LEFT JOIN LATERAL (
       SELECT ${columns('users')} FROM users
       WHERE c.role = 'admin'
         AND ($2::timestamptz IS NULL OR (users.created_at, users.id) > ($2::timestamptz, $3::uuid))
       ORDER BY users.created_at, users.id
       LIMIT $4
     ) u ON true
     WHERE c.cognito_sub = $1`,
    [sub, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit + 1],
  );
  const [first] = rows;
  if (!first) return 'unregistered';
  return { allowed: first.allowed, rows: rows.filter((row) => row.id !== null).map(toUser) };
}

export interface NewUser {
  sub: string;
  email: string;
  name: string;
  phoneNumber: string | null;
  role: Role;
}

const newUserValues = (user: NewUser) => [user.sub, user.email, user.name, user.phoneNumber, user.role];

/** Inserts the user unless their Cognito sub is registered already, and returns the row either way. */
const insertOrRead = (skipIf: string) => `
  inserted AS (
    INSERT INTO users (cognito_sub, email, name, phone_number, role)
    SELECT $1, $2, $3, $4, $5 WHERE ${skipIf}
    ON CONFLICT (cognito_sub) DO NOTHING
    RETURNING ${columns('users')}
  ),
  outcome AS (
    SELECT true AS created, inserted.* FROM inserted
    UNION ALL
    SELECT false, ${columns('users')} FROM users
    WHERE cognito_sub = $1 AND ${skipIf} AND NOT EXISTS (SELECT 1 FROM inserted)
  )`;

export interface Registration {
  stored: StoredUser;
  created: boolean;
}

const toRegistration = (row: UserRow & { created: boolean }): Registration => ({
  stored: toUser(row),
  created: row.created,
});

/**
 * Inserts the user unless their Cognito sub is registered already; says which happened. When a
 * concurrent registration of the same sub commits while this statement runs, the statement cannot
 * see that row: it returns none, and runs once more.
 */
export async function insertUserIfAbsent(db: Queryable, user: NewUser): Promise<Registration> {
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const [row] = await db.query<UserRow & { created: boolean }>(
      `WITH ${insertOrRead('true')} SELECT * FROM outcome`,
      newUserValues(user),
    );
    if (row) return toRegistration(row);
  }
  throw new Error('A registration was neither inserted nor found');
}

/** insertUserIfAbsent once per Idempotency-Key: a retry replays the first answer (201 stays 201). */
export async function insertUserOnce(db: Queryable, user: NewUser, keyed: Keyed): Promise<KeyedOutcome<Registration>> {
  const outcome = await keyedCreate<UserRow & { created: boolean }, Registration>(db, keyed, toRegistration, {
    text: `WITH prior AS (${priorClaim('$1', '$6', '$7')}),
     ${insertOrRead('NOT EXISTS (SELECT 1 FROM prior)')},
     claim AS (
       INSERT INTO idempotency_keys (scope, operation_id, key, fingerprint, response)
       SELECT $1, $6, $7, $8, row_to_json(outcome) FROM outcome
       ${claimConflict}
       RETURNING response
     )
     SELECT prior.fingerprint, prior.response AS prior, claim.response AS created
     FROM (SELECT 1) one LEFT JOIN prior ON true LEFT JOIN claim ON true`,
    values: [...newUserValues(user), keyed.operationId, keyed.key, keyed.fingerprint],
  });
  if (outcome === 'unregistered') throw new Error('registerUser has no caller to look up');
  return outcome;
}

/**
 * The caller and the target, decided on locked rows, and no other row. `who` locks the caller's
 * row and, when the caller may act on it (themselves, or anyone for an administrator, as the
 * snapshot says), the target's, lower id first, so that two administrators acting on each other
 * queue instead of deadlocking. A user's own edit thus locks their own row only: it never waits on
 * an administrator's, however long an administrator holds theirs. The roles read from the locked
 * rows are the committed ones (PostgreSQL re-reads a row it waited for), so a caller demoted while
 * the statement waited acts as a user.
 *
 * Whether a change leaves an administrator is not decided here: the triggers of
 * migrations/00004_count-administrators.sql keep the count in one row, which only statements that
 * add or remove an administrator lock, and refuse (check_violation `users_keep_an_administrator`)
 * a change that would leave none. That count is exact when the statement decides: an administrator
 * who registered while it waited is counted; a snapshot's count would miss them.
 */
const callerAndTargetLocked = `
  c AS (SELECT id, role FROM users WHERE cognito_sub = $1),
  who AS (
    SELECT u.id, u.role, u.version FROM users u, c
    WHERE u.id IN (c.id, $2::uuid) AND (u.id = c.id OR c.role = 'admin')
    ORDER BY u.id
    FOR NO KEY UPDATE OF u
  ),
  caller AS (SELECT c.id, EXISTS (SELECT 1 FROM who WHERE who.id = c.id AND who.role = 'admin') AS is_admin FROM c),
  target AS (
    SELECT who.id, who.role, who.version FROM who, caller
    WHERE who.id = $2::uuid AND (who.id = caller.id OR caller.is_admin)
  )`;

/** The error the administrator count raises for a change that would leave no administrator. */
const isLastAdministrator = (error: unknown): boolean =>
  (error as { code?: string; constraint?: string } | undefined)?.code === '23514' &&
  (error as { constraint?: string }).constraint === 'users_keep_an_administrator';

/** Runs a statement whose refusal to remove the last administrator is an error, as a `'lastAdmin'` outcome. */
async function unlessLastAdministrator<T>(statement: Promise<T>): Promise<T | 'lastAdmin'> {
  try {
    return await statement;
  } catch (error) {
    if (isLastAdministrator(error)) return 'lastAdmin';
    throw error;
  }
}

interface OutcomeRow extends Record<string, unknown> {
  registered: boolean;
  target_role: Role | null;
  target_version: number | null;
  caller_is_admin: boolean | null;
}

const outcomeColumns = `EXISTS (SELECT 1 FROM c) AS registered, target.role AS target_role, target.version AS target_version,
  (SELECT is_admin FROM caller) AS caller_is_admin`;

/**
 * Replaces a user's editable fields if the caller may (themselves, or an administrator), the role
 * change is theirs to make (administrators only), it leaves an administrator, and the version is
 * one of `versions` (any when undefined). A field left out keeps the stored value — read in the
 * statement, so a concurrent role change is never overwritten with a stale one.
 */
export async function updateUserIfAllowed(
  db: Queryable,
  sub: string,
  id: string,
  changes: UserChanges,
  versions: number[] | undefined,
): Promise<StoredUser | Miss> {
  const result = await unlessLastAdministrator(
    db.query<UserRow & OutcomeRow>(
      `WITH ${callerAndTargetLocked},
       updated AS (
         UPDATE users u SET
           name = $3, phone_number = $4, role = COALESCE($5::text, u.role), version = u.version + 1,
           updated_at = date_trunc('milliseconds', clock_timestamp())
         FROM target, caller
         WHERE u.id = target.id
           AND ($5::text IS NULL OR $5::text = u.role OR caller.is_admin)
           AND ($6::integer[] IS NULL OR u.version = ANY($6::integer[]))
         RETURNING ${columns('u')}
       )
       SELECT ${outcomeColumns}, updated.*
       FROM (SELECT 1) one LEFT JOIN target ON true LEFT JOIN updated ON true`,
      [sub, id, changes.name, changes.phoneNumber ?? null, changes.role ?? null, versions ?? null],
    ),
  );
  if (result === 'lastAdmin') return result;
  const [row] = result;
  if (row?.id) return toUser(row);
  if (!row?.registered) return 'unregistered';
  if (!row.target_role) return 'notFound';
  // Preconditions first (RFC 9110 §13.2.2): a stale If-Match is 412 whatever else the request would fail on.
  if (versions && !versions.includes(row.target_version ?? -1)) return 'stale';
  if (changes.role !== undefined && changes.role !== row.target_role && !row.caller_is_admin) return 'forbidden';
  return 'stale';
}

/**
 * Deletes a user if the caller may (themselves, or an administrator), it leaves an administrator,
 * and the version is one of `versions`. Their tasks go with them (ON DELETE CASCADE) and so do
 * their Idempotency-Keys, in the same statement: a new registration under the same sub never
 * replays the deleted profile.
 */
export async function deleteUserIfAllowed(
  db: Queryable,
  sub: string,
  id: string,
  versions: number[] | undefined,
): Promise<'deleted' | Miss> {
  const result = await unlessLastAdministrator(
    db.query<OutcomeRow & { deleted: string | null }>(
      `WITH ${callerAndTargetLocked},
       deleted AS (
         DELETE FROM users u USING target
         WHERE u.id = target.id AND ($3::integer[] IS NULL OR u.version = ANY($3::integer[]))
         RETURNING u.id, u.cognito_sub
       ),
       forgotten AS (DELETE FROM idempotency_keys k USING deleted WHERE k.scope = deleted.cognito_sub)
       SELECT ${outcomeColumns}, deleted.id AS deleted
       FROM (SELECT 1) one LEFT JOIN target ON true LEFT JOIN deleted ON true`,
      [sub, id, versions ?? null],
    ),
  );
  if (result === 'lastAdmin') return result;
  const [row] = result;
  if (row?.deleted) return 'deleted';
  if (!row?.registered) return 'unregistered';
  if (!row.target_role) return 'notFound';
  return 'stale';
}
