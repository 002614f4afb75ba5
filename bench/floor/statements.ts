/**
 * The one statement per operation an expert would hand-write, for the three operations the bench
 * drives: each resolves the caller by Cognito sub inside the statement, so the outcome (not
 * registered, not found, the rows) comes back in one round trip. The floor and every peer run
 * exactly these, through one `pg` pool configured like the runtime's, so the only difference
 * between them and the API is what happens around the statement.
 */
import pg from 'pg';

/** Pool max 1 as on Lambda; the runtime's timeouts (handlers/runtime/config.ts defaults). */
export function createPool(applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DB_POOL_MAX ?? 1),
    connectionTimeoutMillis: 3000,
    statement_timeout: 5000,
    query_timeout: 6000,
    application_name: applicationName,
  });
  // An idle connection the server closes must not crash the instance; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

const taskColumns =
  "t.id, t.owner_id, t.title, t.description, t.status, t.priority, to_char(t.due_date, 'YYYY-MM-DD') AS due_date, t.version, t.created_at, t.updated_at";
/** The same columns of the row an INSERT returns (RETURNING cannot name the target by an alias). */
const insertedColumns =
  "id, owner_id, title, description, status, priority, to_char(due_date, 'YYYY-MM-DD') AS due_date, version, created_at, updated_at";

interface TaskRow {
  id: string;
  owner_id: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  due_date: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A row as the API's Task schema; `version` for the ETag. */
export interface StoredTask {
  task: {
    id: string;
    ownerId: string;
    title: string;
    description: string;
    status: string;
    priority: string;
    dueDate: string | null;
    createdAt: string;
    updatedAt: string;
  };
  version: number;
}

const toTask = (row: TaskRow): StoredTask => ({
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
});

/** What a statement found: `unregistered` when no user has this sub. */
export type Outcome<T> = { unregistered: true } | { unregistered: false; value: T };

/** getTask: the caller's task (any task for an administrator); `value` undefined when there is none. */
export async function getTask(pool: pg.Pool, sub: string, taskId: string): Promise<Outcome<StoredTask | undefined>> {
  const { rows } = await pool.query<TaskRow & { caller_id: string }>(
    `SELECT c.id AS caller_id, ${taskColumns}
     FROM users c
     LEFT JOIN tasks t ON t.id = $2 AND (t.owner_id = c.id OR c.role = 'admin')
     WHERE c.cognito_sub = $1`,
    [sub, taskId],
  );
  const row = rows[0];
  if (!row) return { unregistered: true };
  return { unregistered: false, value: row.id === null ? undefined : toTask(row) };
}

/** The position after a page's last row, as the API encodes it (base64url of `[createdAt, id]`). */
export interface Cursor {
  createdAt: string;
  id: string;
}

export const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  const [createdAt, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [string, string];
  return { createdAt, id };
}

/** listTasks: one page of the caller's tasks, newest first, after `after`; `nextCursor` when more exist. */
export async function listTasks(
  pool: pg.Pool,
  sub: string,
  page: { status: string | undefined; limit: number; after: Cursor | undefined },
): Promise<Outcome<{ items: StoredTask['task'][]; nextCursor: string | null }>> {
  const { rows } = await pool.query<TaskRow & { caller_id: string }>(
    `SELECT c.id AS caller_id, t.*
     FROM users c
     LEFT JOIN LATERAL (
       SELECT ${taskColumns} FROM tasks t
       WHERE t.owner_id = c.id
         AND ($2::text IS NULL OR t.status = $2)
         AND ($3::timestamptz IS NULL OR (t.created_at, t.id) < ($3::timestamptz, $4::uuid))
       ORDER BY t.created_at DESC, t.id DESC
       LIMIT $5
     ) t ON true
     WHERE c.cognito_sub = $1
     ORDER BY t.created_at DESC, t.id DESC`,
    [sub, page.status ?? null, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit + 1],
  );
  if (rows.length === 0) return { unregistered: true };
  const found = rows.filter((row) => row.id !== null);
  const shown = found.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    unregistered: false,
    value: {
      items: shown.map((row) => toTask(row).task),
      nextCursor:
        found.length > page.limit && last
          ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id })
          : null,
    },
  };
}

/** The fields of a new task (TaskCreate). */
export interface NewTask {
  title: string;
  description?: string;
  status?: string;
  priority?: string;
  dueDate?: string | null;
}

/** createTask: inserts a task owned by the caller, if the caller is registered. */
export async function createTask(pool: pg.Pool, sub: string, task: NewTask): Promise<Outcome<StoredTask>> {
  const { rows } = await pool.query<TaskRow>(
    `INSERT INTO tasks (owner_id, title, description, status, priority, due_date)
     SELECT c.id, $2, $3, $4, $5, $6::date FROM users c WHERE c.cognito_sub = $1
     RETURNING ${insertedColumns}`,
    [sub, task.title, task.description ?? '', task.status ?? 'todo', task.priority ?? 'medium', task.dueDate ?? null],
  );
  const row = rows[0];
  return row ? { unregistered: false, value: toTask(row) } : { unregistered: true };
}
