/** SQL for tasks: parameterised, returning API-shaped objects (rows are mapped in `toTask` only). */

import type { Queryable } from '#db';
import type { components } from '#generated/api.ts';
import type { Cursor } from '#runtime/http.ts';

export type Task = components['schemas']['Task'];
export type TaskStatus = components['schemas']['TaskStatus'];
export type NewTask = components['schemas']['TaskCreate'];
export type TaskChanges = components['schemas']['TaskUpdate'];

export interface StoredTask {
  task: Task;
  version: number;
  cursor: Cursor;
}

interface TaskRow extends Record<string, unknown> {
  id: string;
  owner_id: string;
  title: string;
  description: string;
  status: Task['status'];
  priority: Task['priority'];
  due_date: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** `due_date` is selected as text: a `date` has no time zone to shift. */
const columns =
  "id, owner_id, title, description, status, priority, to_char(due_date, 'YYYY-MM-DD') AS due_date, version, created_at, updated_at";

function toTask(row: TaskRow): StoredTask {
  return {
    task: {
      id: row.id,
      ownerId: row.owner_id,
      title: row.title,
      description: row.description,
      status: row.status,
      priority: row.priority,
      dueDate: row.due_date,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    },
    version: row.version,
    cursor: { createdAt: row.created_at.toISOString(), id: row.id },
  };
}

/** Who is asking: owners reach their own tasks, administrators every task. */
export interface TaskAccess {
  callerId: string;
  isAdmin: boolean;
}

/** One page of an owner's tasks, newest first, after `after`; one extra row tells whether more exist. */
export async function listTasksForOwner(
  db: Queryable,
  page: { ownerId: string; status: TaskStatus | undefined; limit: number; after: Cursor | undefined },
): Promise<StoredTask[]> {
  const rows = await db.query<TaskRow>(
    `SELECT ${columns} FROM tasks
     WHERE owner_id = $1
       AND ($2::text IS NULL OR status = $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
     ORDER BY created_at DESC, id DESC
     LIMIT $5`,
    [page.ownerId, page.status ?? null, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit + 1],
  );
  return rows.map(toTask);
}

export async function insertTask(db: Queryable, ownerId: string, task: NewTask): Promise<StoredTask> {
  const [row] = await db.query<TaskRow>(
    `INSERT INTO tasks (owner_id, title, description, status, priority, due_date)
     VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING ${columns}`,
    [
      ownerId,
      task.title,
      task.description ?? '',
      task.status ?? 'todo',
      task.priority ?? 'medium',
      task.dueDate ?? null,
    ],
  );
  if (!row) throw new Error('INSERT returned no row');
  return toTask(row);
}

export async function findTaskForCaller(
  db: Queryable,
  id: string,
  access: TaskAccess,
): Promise<StoredTask | undefined> {
  const [row] = await db.query<TaskRow>(`SELECT ${columns} FROM tasks WHERE id = $1 AND (owner_id = $2 OR $3)`, [
    id,
    access.callerId,
    access.isAdmin,
  ]);
  return row && toTask(row);
}

/**
 * Applies `changes` if the caller may reach the task and its version is still `expectedVersion`
 * (any version when undefined). Fields absent from `changes` keep their value.
 */
export async function updateTaskIfVersion(
  db: Queryable,
  id: string,
  access: TaskAccess,
  changes: TaskChanges,
  expectedVersion: number | undefined,
): Promise<StoredTask | undefined> {
  const [row] = await db.query<TaskRow>(
    `UPDATE tasks SET
       title = CASE WHEN $4 THEN $5 ELSE title END,
       description = CASE WHEN $6 THEN $7 ELSE description END,
       status = CASE WHEN $8 THEN $9 ELSE status END,
       priority = CASE WHEN $10 THEN $11 ELSE priority END,
       due_date = CASE WHEN $12 THEN $13::date ELSE due_date END,
       version = version + 1,
       updated_at = date_trunc('milliseconds', clock_timestamp())
     WHERE id = $1 AND (owner_id = $2 OR $3) AND ($14::integer IS NULL OR version = $14)
     RETURNING ${columns}`,
    [
      id,
      access.callerId,
      access.isAdmin,
      'title' in changes,
      changes.title ?? null,
      'description' in changes,
      changes.description ?? null,
      'status' in changes,
      changes.status ?? null,
      'priority' in changes,
      changes.priority ?? null,
      'dueDate' in changes,
      changes.dueDate ?? null,
      expectedVersion ?? null,
    ],
  );
  return row && toTask(row);
}

export async function deleteTaskForCaller(db: Queryable, id: string, access: TaskAccess): Promise<boolean> {
  const rows = await db.query('DELETE FROM tasks WHERE id = $1 AND (owner_id = $2 OR $3) RETURNING id', [
    id,
    access.callerId,
    access.isAdmin,
  ]);
  return rows.length > 0;
}
