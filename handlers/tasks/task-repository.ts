/**
 * SQL for tasks: one parameterised statement per operation, the caller resolved inside it by their
 * Cognito sub, and the outcome (not registered, not found, stale, done) read from its result row.
 * Columns are mapped to API fields once, in `taskColumns`.
 */

import type { Queryable, Row } from '#db';
import type { components, operations } from '#generated/api.ts';
import { columnsOf, Params } from '#runtime/columns.ts';
import { type Cursor, isoTimestamp } from '#runtime/http.ts';
import { claimConflict, type Keyed, type KeyedOutcome, keyedCreate, priorClaim } from '#runtime/idempotency.ts';

export type Task = components['schemas']['Task'];
export type TaskStatus = components['schemas']['TaskStatus'];
export type NewTask = components['schemas']['TaskCreate'];
export type TaskChanges = components['schemas']['TaskUpdate'];

export interface StoredTask {
  task: Task;
  version: number;
}

/** Why a statement wrote or returned nothing. */
export type Miss = 'unregistered' | 'notFound' | 'stale';

/**
 * The task's fields, one line each: its column, the SQL type a request writes it as, the spec's
 * default, and how a stored value reads. The select list, `toTask`, the inserts and the update are
 * all read from here: a new field is one line here (and its migration).
 */
const taskColumns = columnsOf<Task>({
  id: { column: 'id' },
  ownerId: { column: 'owner_id' },
  title: { column: 'title', writes: 'text' },
  description: { column: 'description', writes: 'text', default: '' },
  status: { column: 'status', writes: 'text', default: 'todo' },
  priority: { column: 'priority', writes: 'text', default: 'medium' },
  // PostgreSQL's text for a date, `YYYY-MM-DD` (db.ts reads dates so; JSON holds the same).
  dueDate: { column: 'due_date', writes: 'date' },
  createdAt: { column: 'created_at', read: isoTimestamp },
  updatedAt: { column: 'updated_at', read: isoTimestamp },
});

/** The defaults a new task gets for what its request left out: the spec's (test/unit/columns.test.ts compares them). */
export const taskDefaults = taskColumns.defaults;

/** A task row as `columns` selects it — or, for an idempotent replay, as stored in JSON. */
type TaskRow = Row & { version: number };

const columns = (t: string) => taskColumns.select(t, ['version']);

function toTask(row: TaskRow): StoredTask {
  return { task: taskColumns.toApi(row), version: row.version };
}

/** The caller by Cognito sub; a caller reaches their own tasks, an administrator every task. */
const caller = 'SELECT id, role FROM users WHERE cognito_sub = $1';
const reaches = (t: string) => `(${t}.owner_id = c.id OR c.role = 'admin')`;

/** The task `id` if the caller may see it. */
export async function findTaskForCaller(
  db: Queryable,
  sub: string,
  id: string,
): Promise<StoredTask | 'unregistered' | 'notFound'> {
  const [row] = await db.query<TaskRow>(
    `SELECT ${columns('t')} FROM users c
     LEFT JOIN tasks t ON t.id = $2 AND ${reaches('t')}
     WHERE c.cognito_sub = $1`,
    [sub, id],
  );
  if (!row) return 'unregistered';
  return row.id ? toTask(row) : 'notFound';
}

export interface TaskPage {
  /** Whether the caller may list `ownerId`'s tasks: their own, or anyone's for an administrator. */
  allowed: boolean;
  rows: StoredTask[];
}

/** listTasks' filters: its query parameters but the owner and the page's. */
export type TaskFilters = Omit<
  NonNullable<operations['listTasks']['parameters']['query']>,
  'ownerId' | 'limit' | 'cursor'
>;

/**
 * Each filter's condition on `tasks`, one line each, its value bound in `params`; a filter the
 * request leaves out adds none. A filter the spec adds to listTasks is one line here (tsc names the
 * one missing).
 */
const taskFilters: {
  [Name in keyof TaskFilters]-?: (value: NonNullable<TaskFilters[Name]>, params: Params) => string;
} = {
  status: (status, params) => `tasks.status = ${params.add(status, 'text')}`,
};

/** The conditions of the filters `given`, bound in `params`. */
function filterConditions(given: TaskFilters, params: Params): string {
  let conditions = '';
  for (const [name, condition] of Object.entries(taskFilters) as Array<
    [keyof TaskFilters, (value: never, params: Params) => string]
  >) {
    const value = given[name];
    if (value !== undefined) conditions += ` AND ${condition(value as never, params)}`;
  }
  return conditions;
}

/** One page of an owner's tasks (the caller's when `ownerId` is undefined), newest first, after `after`; one extra row tells whether more exist. */
export async function listTasksForCaller(
  db: Queryable,
  sub: string,
  page: { ownerId: string | undefined; filters: TaskFilters; limit: number; after: Cursor | undefined },
): Promise<TaskPage | 'unregistered'> {
  const params = new Params();
  const caller = params.add(sub);
  const owner = params.add(page.ownerId ?? null, 'uuid');
  const reachable = `(${owner} IS NULL OR ${owner} = c.id OR c.role = 'admin')`;
  const filters = filterConditions(page.filters, params);
  const after = page.after
    ? ` AND (tasks.created_at, tasks.id) < (${params.add(page.after.createdAt, 'timestamptz')}, ${params.add(page.after.id, 'uuid')})`
    : '';
  const limit = params.add(page.limit + 1);
  const rows = await db.query<TaskRow & { allowed: boolean }>(
    `SELECT ${reachable} AS allowed, t.*
     FROM users c
     LEFT JOIN LATERAL (
       SELECT ${columns('tasks')} FROM tasks
       WHERE tasks.owner_id = COALESCE(${owner}, c.id) AND ${reachable}${filters}${after}
       ORDER BY tasks.created_at DESC, tasks.id DESC
       LIMIT ${limit}
     ) t ON true
     WHERE c.cognito_sub = ${caller}`,
    params.values,
  );
  const [first] = rows;
  if (!first) return 'unregistered';
  return { allowed: first.allowed, rows: rows.filter((row) => row.id !== null).map(toTask) };
}

/**
 * The caller's row, read without a lock of its own (here, and in the plain create's SELECT): the foreign key check on insert key-share
 * locks the owner anyway, and re-reads it after a concurrent deletion commits. So a caller deleted
 * while the create waits fails that check, which `ownerDeleted` turns into "register first": one
 * lock per create instead of two, never a foreign-key 500.
 */
const callerId = 'SELECT id FROM users WHERE cognito_sub = $1';

/** The columns a request writes, in the order `writeValues` binds them. */
const writableColumns = taskColumns.writable.map(({ column }) => column).join(', ');

/** The create's owner was deleted between the statement's read of the caller and its insert. */
const ownerDeleted = (error: unknown) => {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23503' && constraint === 'tasks_owner_id_fkey';
};

/** Inserts a task owned by the caller. */
export async function insertTask(db: Queryable, sub: string, task: NewTask): Promise<StoredTask | 'unregistered'> {
  const params = new Params();
  const caller = params.add(sub);
  const values = taskColumns.writeValues(params, task);
  try {
    const [row] = await db.query<TaskRow>(
      // The caller read in the INSERT's own SELECT, not a CTE: the same rows and locks, planned
      // about 9 µs faster per statement (p50 of a paired loop on the bench's database).
      `INSERT INTO tasks (owner_id, ${writableColumns})
       SELECT c.id, ${values.join(', ')} FROM users c WHERE c.cognito_sub = ${caller}
       RETURNING ${columns('tasks')}`,
      params.values,
    );
    return row ? toTask(row) : 'unregistered';
  } catch (error) {
    if (ownerDeleted(error)) return 'unregistered';
    throw error;
  }
}

/**
 * Inserts a task once per Idempotency-Key, in one statement: the prior claim of the key, the new
 * row's values, the claim (which stores them as the response) and the insert, which happens only if
 * the claim did. A concurrent request with the same key waits on the claim and inserts nothing.
 */
export async function insertTaskOnce(
  db: Queryable,
  sub: string,
  task: NewTask,
  keyed: Keyed,
): Promise<KeyedOutcome<StoredTask> | 'unregistered'> {
  const params = new Params();
  const caller = params.add(sub);
  const values = taskColumns.writeValues(params, task);
  const claimed = { operationId: params.add(keyed.operationId), key: params.add(keyed.key) };
  const fingerprint = params.add(keyed.fingerprint);
  const named = taskColumns.writable.map(({ column }, index) => `${values[index]} AS ${column}`).join(', ');
  return keyedCreate<TaskRow, StoredTask>(db, keyed, toTask, {
    text: `WITH c AS (${callerId}),
     prior AS (${priorClaim(caller, claimed.operationId, claimed.key)}),
     v AS (
       SELECT gen_random_uuid() AS id, c.id AS owner_id, ${named},
              1 AS version, at.now AS created_at, at.now AS updated_at
       FROM c, (SELECT date_trunc('milliseconds', clock_timestamp()) AS now) at
       WHERE NOT EXISTS (SELECT 1 FROM prior)
     ),
     claim AS (
       INSERT INTO idempotency_keys (scope, operation_id, key, fingerprint, response)
       SELECT ${caller}, ${claimed.operationId}, ${claimed.key}, ${fingerprint}, row_to_json(v) FROM v
       ${claimConflict}
       RETURNING response
     ),
     inserted AS (
       INSERT INTO tasks (id, owner_id, ${writableColumns}, created_at, updated_at)
       SELECT id, owner_id, ${writableColumns}, created_at, updated_at FROM v
       WHERE EXISTS (SELECT 1 FROM claim)
     )
     SELECT EXISTS (SELECT 1 FROM c) AS registered, prior.fingerprint, prior.response AS prior, claim.response AS created
     FROM (SELECT 1) one LEFT JOIN prior ON true LEFT JOIN claim ON true`,
    values: params.values,
  }).catch((error: unknown) => {
    if (ownerDeleted(error)) return 'unregistered' as const;
    throw error;
  });
}

/**
 * Applies `changes` if the caller may reach the task and its version is one of `versions` (any
 * version when undefined). Fields absent from `changes` keep their value.
 */
export async function updateTaskIfVersion(
  db: Queryable,
  sub: string,
  id: string,
  changes: TaskChanges,
  versions: number[] | undefined,
): Promise<StoredTask | Miss> {
  const params = new Params();
  params.add(sub);
  params.add(id);
  params.add(versions ?? null);
  const set = taskColumns.updateSet(params, 't', changes);
  const [row] = await db.query<TaskRow & { registered: boolean; visible: boolean }>(
    `WITH c AS (${caller}),
     updated AS (
       UPDATE tasks t SET
         ${set.join(',\n         ')},
         version = t.version + 1,
         updated_at = date_trunc('milliseconds', clock_timestamp())
       FROM c
       WHERE t.id = $2 AND ${reaches('t')} AND ($3::integer[] IS NULL OR t.version = ANY($3::integer[]))
       RETURNING ${columns('t')}
     )
     SELECT EXISTS (SELECT 1 FROM c) AS registered,
            EXISTS (SELECT 1 FROM tasks t, c WHERE t.id = $2 AND ${reaches('t')}) AS visible,
            updated.*
     FROM (SELECT 1) one LEFT JOIN updated ON true`,
    params.values,
  );
  return row?.id ? toTask(row) : miss(row);
}

/** Deletes the task if the caller may reach it and its version is one of `versions` (any when undefined). */
export async function deleteTaskIfVersion(
  db: Queryable,
  sub: string,
  id: string,
  versions: number[] | undefined,
): Promise<'deleted' | Miss> {
  const [row] = await db.query<{ registered: boolean; visible: boolean; id: string | null }>(
    `WITH c AS (${caller}),
     deleted AS (
       DELETE FROM tasks t USING c
       WHERE t.id = $2 AND ${reaches('t')} AND ($3::integer[] IS NULL OR t.version = ANY($3::integer[]))
       RETURNING t.id
     )
     SELECT EXISTS (SELECT 1 FROM c) AS registered,
            EXISTS (SELECT 1 FROM tasks t, c WHERE t.id = $2 AND ${reaches('t')}) AS visible,
            deleted.id
     FROM (SELECT 1) one LEFT JOIN deleted ON true`,
    [sub, id, versions ?? null],
  );
  return row?.id ? 'deleted' : miss(row);
}

/** Why a conditional write matched no row: no caller, no task they may reach, or another version. */
function miss(row: { registered: boolean; visible: boolean } | undefined): Miss {
  if (!row?.registered) return 'unregistered';
  return row.visible ? 'stale' : 'notFound';
}
