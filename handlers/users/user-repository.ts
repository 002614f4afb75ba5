/**
 * SQL for users: one parameterised statement per operation, the caller resolved inside it by their
 * Cognito sub, and the outcome read from its result row. Decisions that depend on rows — may the
 * caller change this role? is this the last administrator? — are made inside the statement that
 * writes, on locked rows: the caller's and the target's, and the administrator count only when an
 * administrator is added or removed (its refusal is the one outcome that arrives as an error).
 * Columns are mapped to API fields once, in `userColumns`.
 */

import type { Queryable, Row } from '#db';
import type { components } from '#generated/api.ts';
import { columnsOf, Params } from '#runtime/columns.ts';
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

/**
 * The user's fields, one line each: its column, the SQL type a write binds it as, and how a stored
 * value reads. The select list, `toUser`, the registration's insert and the update are all read
 * from here. The User schema gives no field a `default`, so a replay stored before a column
 * existed would answer null for it.
 */
const userColumns = columnsOf<User>({
  id: { column: 'id' },
  // From the ID token at registration; no request changes it afterwards.
  email: { column: 'email', writes: 'text', insertOnly: true },
  name: { column: 'name', writes: 'text' },
  phoneNumber: { column: 'phone_number', writes: 'text' },
  role: { column: 'role', writes: 'text' },
  createdAt: { column: 'created_at', read: isoTimestamp },
  updatedAt: { column: 'updated_at', read: isoTimestamp },
});

/** A user row as `columns` selects it — or, for an idempotent replay, as stored in JSON. */
type UserRow = Row & { version: number };

const columns = (u: string) => userColumns.select(u, ['version']);

function toUser(row: UserRow): StoredUser {
  return { user: userColumns.toApi(row), version: row.version };
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

/** A registration: the caller's Cognito sub (a column, not an API field) and the fields their ID token gives. */
export type NewUser = { sub: string } & Pick<User, 'email' | 'name' | 'phoneNumber' | 'role'>;

/** The columns a registration writes after `cognito_sub`, in the order `writeValues` binds them. */
const writableColumns = userColumns.writable.map(({ column }) => column).join(', ');

/**
 * Inserts the user unless their Cognito sub is registered already, and returns the row either way.
 * The sub is bound first (`$1`), then the user's fields.
 */
function insertOrRead(params: Params, user: NewUser, skipIf: string): string {
  const sub = params.add(user.sub);
  const values = userColumns.writeValues(params, user);
  return `
  inserted AS (
    INSERT INTO users (cognito_sub, ${writableColumns})
    SELECT ${sub}, ${values.join(', ')} WHERE ${skipIf}
    ON CONFLICT (cognito_sub) DO NOTHING
    RETURNING ${columns('users')}
  ),
  outcome AS (
    SELECT true AS created, inserted.* FROM inserted
    UNION ALL
    SELECT false, ${columns('users')} FROM users
    WHERE cognito_sub = ${sub} AND ${skipIf} AND NOT EXISTS (SELECT 1 FROM inserted)
  )`;
}

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
  const params = new Params();
  const text = `WITH ${insertOrRead(params, user, 'true')} SELECT * FROM outcome`;
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const [row] = await db.query<UserRow & { created: boolean }>(text, params.values);
    if (row) return toRegistration(row);
  }
  throw new Error('A registration was neither inserted nor found');
}

/** insertUserIfAbsent once per Idempotency-Key: a retry replays the first answer (201 stays 201). */
export async function insertUserOnce(db: Queryable, user: NewUser, keyed: Keyed): Promise<KeyedOutcome<Registration>> {
  const params = new Params();
  const insert = insertOrRead(params, user, 'NOT EXISTS (SELECT 1 FROM prior)');
  const claimed = { operationId: params.add(keyed.operationId), key: params.add(keyed.key) };
  const fingerprint = params.add(keyed.fingerprint);
  // The key's scope is the caller's sub, which insertOrRead bound first.
  const scope = '$1';
  const outcome = await keyedCreate<UserRow & { created: boolean }, Registration>(db, keyed, toRegistration, {
    text: `WITH prior AS (${priorClaim(scope, claimed.operationId, claimed.key)}),
     ${insert},
     claim AS (
       INSERT INTO idempotency_keys (scope, operation_id, key, fingerprint, response)
       SELECT ${scope}, ${claimed.operationId}, ${claimed.key}, ${fingerprint}, row_to_json(outcome) FROM outcome
       ${claimConflict}
       RETURNING response
     )
     SELECT prior.fingerprint, prior.response AS prior, claim.response AS created
     FROM (SELECT 1) one LEFT JOIN prior ON true LEFT JOIN claim ON true`,
    values: params.values,
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
 * one of `versions` (any when undefined). A role left out keeps the stored value — read in the
 * statement, so a concurrent role change is never overwritten with a stale one.
 */
export async function updateUserIfAllowed(
  db: Queryable,
  sub: string,
  id: string,
  changes: UserChanges,
  versions: number[] | undefined,
): Promise<StoredUser | Miss> {
  const params = new Params();
  params.add(sub); // $1, as callerAndTargetLocked reads it
  params.add(id); // $2, likewise
  const version = params.add(versions ?? null, 'integer[]');
  const newRole = params.add(changes.role ?? null, 'text');
  // A replace (UserUpdate): a phone number left out is cleared, not kept; a role left out is kept.
  const set = userColumns.updateSet(params, 'u', { phoneNumber: null, ...changes });
  const result = await unlessLastAdministrator(
    db.query<UserRow & OutcomeRow>(
      `WITH ${callerAndTargetLocked},
       updated AS (
         UPDATE users u SET
           ${set.join(',\n           ')},
           version = u.version + 1,
           updated_at = date_trunc('milliseconds', clock_timestamp())
         FROM target, caller
         WHERE u.id = target.id
           AND (${newRole} IS NULL OR ${newRole} = u.role OR caller.is_admin)
           AND (${version} IS NULL OR u.version = ANY(${version}))
         RETURNING ${columns('u')}
       )
       SELECT ${outcomeColumns}, updated.*
       FROM (SELECT 1) one LEFT JOIN target ON true LEFT JOIN updated ON true`,
      params.values,
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
