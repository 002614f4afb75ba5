/**
 * SQL for users: one parameterised statement per operation, the caller resolved inside it by their
 * Cognito sub, and the outcome read from its result row. Decisions that depend on rows — may the
 * caller change this role? is this the last administrator? — are made inside the statement that
 * writes, on locked rows. Rows are mapped to API shapes in `toUser` only.
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
 * The caller, with administrators decided on locked rows: every administrator's row is locked (FOR
 * NO KEY UPDATE, which leaves key-share locks — a task insert's — alone), so statements that change roles or remove users run one after another, each seeing the
 * roles the previous one left (two administrators demoting themselves at once leave one).
 */
const callerAmongLockedAdmins = `
  c AS (SELECT id FROM users WHERE cognito_sub = $1),
  admins AS (SELECT id FROM users WHERE role = 'admin' FOR NO KEY UPDATE),
  caller AS (SELECT c.id, EXISTS (SELECT 1 FROM admins a WHERE a.id = c.id) AS is_admin FROM c),
  target AS (
    SELECT u.id, u.role, u.version FROM users u, caller WHERE u.id = $2 AND (u.id = caller.id OR caller.is_admin)
  )`;

/** Whether removing the administrator role from `u` would leave no administrator. */
const lastAdmin = (u: string) => `(${u}.role = 'admin' AND (SELECT count(*) FROM admins) <= 1)`;

interface OutcomeRow extends Record<string, unknown> {
  registered: boolean;
  target_role: Role | null;
  target_version: number | null;
  caller_is_admin: boolean | null;
  admins: number;
}

const outcomeColumns = `EXISTS (SELECT 1 FROM c) AS registered, target.role AS target_role, target.version AS target_version,
  (SELECT is_admin FROM caller) AS caller_is_admin, (SELECT count(*) FROM admins)::integer AS admins`;

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
  const [row] = await db.query<UserRow & OutcomeRow>(
    `WITH ${callerAmongLockedAdmins},
     updated AS (
       UPDATE users u SET
         name = $3, phone_number = $4, role = COALESCE($5::text, u.role), version = u.version + 1,
         updated_at = date_trunc('milliseconds', clock_timestamp())
       FROM caller
       WHERE u.id = $2 AND (u.id = caller.id OR caller.is_admin)
         AND ($5::text IS NULL OR $5::text = u.role OR caller.is_admin)
         AND NOT (COALESCE($5::text, 'admin') <> 'admin' AND ${lastAdmin('u')})
         AND ($6::integer[] IS NULL OR u.version = ANY($6::integer[]))
       RETURNING ${columns('u')}
     )
     SELECT ${outcomeColumns}, updated.*
     FROM (SELECT 1) one LEFT JOIN target ON true LEFT JOIN updated ON true`,
    [sub, id, changes.name, changes.phoneNumber ?? null, changes.role ?? null, versions ?? null],
  );
  if (row?.id) return toUser(row);
  if (!row?.registered) return 'unregistered';
  if (!row.target_role) return 'notFound';
  // Preconditions first (RFC 9110 §13.2.2): a stale If-Match is 412 whatever else the request would fail on.
  if (versions && !versions.includes(row.target_version ?? -1)) return 'stale';
  if (changes.role !== undefined && changes.role !== row.target_role && !row.caller_is_admin) return 'forbidden';
  if (changes.role === 'user' && row.target_role === 'admin' && row.admins <= 1) return 'lastAdmin';
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
  const [row] = await db.query<OutcomeRow & { deleted: string | null }>(
    `WITH ${callerAmongLockedAdmins},
     deleted AS (
       DELETE FROM users u USING caller
       WHERE u.id = $2 AND (u.id = caller.id OR caller.is_admin)
         AND NOT ${lastAdmin('u')}
         AND ($3::integer[] IS NULL OR u.version = ANY($3::integer[]))
       RETURNING u.id, u.cognito_sub
     ),
     forgotten AS (DELETE FROM idempotency_keys k USING deleted WHERE k.scope = deleted.cognito_sub)
     SELECT ${outcomeColumns}, deleted.id AS deleted
     FROM (SELECT 1) one LEFT JOIN target ON true LEFT JOIN deleted ON true`,
    [sub, id, versions ?? null],
  );
  if (row?.deleted) return 'deleted';
  if (!row?.registered) return 'unregistered';
  if (!row.target_role) return 'notFound';
  if (versions && !versions.includes(row.target_version ?? -1)) return 'stale';
  if (row.target_role === 'admin' && row.admins <= 1) return 'lastAdmin';
  return 'stale';
}
