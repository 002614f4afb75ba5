/** SQL for users: parameterised, returning API-shaped objects (rows are mapped in `toUser` only). */

import type { Queryable } from '#db';
import type { components } from '#generated/api.ts';
import type { Cursor } from '#runtime/http.ts';

export type User = components['schemas']['User'];
export type Role = components['schemas']['Role'];

/** A user row as the API shows it, plus the version its ETag carries. */
export interface StoredUser {
  user: User;
  version: number;
  /** Precise sort key for keyset pagination. */
  cursor: Cursor;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  phone_number: string | null;
  role: Role;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const columns = 'id, email, name, phone_number, role, version, created_at, updated_at';

function toUser(row: UserRow): StoredUser {
  return {
    user: {
      id: row.id,
      email: row.email,
      name: row.name,
      phoneNumber: row.phone_number,
      role: row.role,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    },
    version: row.version,
    cursor: { createdAt: row.created_at.toISOString(), id: row.id },
  };
}

export async function findUserBySub(db: Queryable, sub: string): Promise<StoredUser | undefined> {
  const [row] = await db.query<UserRow & Record<string, unknown>>(
    `SELECT ${columns} FROM users WHERE cognito_sub = $1`,
    [sub],
  );
  return row && toUser(row);
}

export async function findUserById(db: Queryable, id: string): Promise<StoredUser | undefined> {
  const [row] = await db.query<UserRow & Record<string, unknown>>(`SELECT ${columns} FROM users WHERE id = $1`, [id]);
  return row && toUser(row);
}

export interface NewUser {
  sub: string;
  email: string;
  name: string;
  phoneNumber: string | null;
  role: Role;
}

/** Inserts the user unless their Cognito sub is registered already; says which happened. */
export async function insertUserIfAbsent(
  db: Queryable,
  user: NewUser,
): Promise<{ stored: StoredUser; created: boolean }> {
  const [inserted] = await db.query<UserRow & Record<string, unknown>>(
    `INSERT INTO users (cognito_sub, email, name, phone_number, role)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (cognito_sub) DO NOTHING
     RETURNING ${columns}`,
    [user.sub, user.email, user.name, user.phoneNumber, user.role],
  );
  if (inserted) return { stored: toUser(inserted), created: true };
  const existing = await findUserBySub(db, user.sub);
  if (!existing) throw new Error('User vanished between insert and read');
  return { stored: existing, created: false };
}

/** One page of users, oldest first, after `after`. Returns one extra row to tell whether more exist. */
export async function listUsersPage(db: Queryable, page: { limit: number; after: Cursor | undefined }) {
  const rows = await db.query<UserRow & Record<string, unknown>>(
    `SELECT ${columns} FROM users
     WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid))
     ORDER BY created_at, id
     LIMIT $3`,
    [page.after?.createdAt ?? null, page.after?.id ?? null, page.limit + 1],
  );
  return rows.map(toUser);
}

export interface UserChanges {
  name: string;
  phoneNumber: string | null;
  role: Role;
}

/** Replaces a user's editable fields if its version is still `expectedVersion` (any version when undefined). */
export async function replaceUserIfVersion(
  db: Queryable,
  id: string,
  changes: UserChanges,
  expectedVersion: number | undefined,
): Promise<StoredUser | undefined> {
  const [row] = await db.query<UserRow & Record<string, unknown>>(
    `UPDATE users
     SET name = $2, phone_number = $3, role = $4, version = version + 1,
         updated_at = date_trunc('milliseconds', clock_timestamp())
     WHERE id = $1 AND ($5::integer IS NULL OR version = $5)
     RETURNING ${columns}`,
    [id, changes.name, changes.phoneNumber, changes.role, expectedVersion ?? null],
  );
  return row && toUser(row);
}

/** Deletes a user; their tasks go with them (ON DELETE CASCADE, one statement). */
export async function deleteUserById(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM users WHERE id = $1 RETURNING id', [id]);
  return rows.length > 0;
}
