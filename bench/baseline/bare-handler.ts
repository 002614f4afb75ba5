/**
 * The benchmark's baseline: a bare, hand-written Lambda handler for the three operations the bench
 * drives (listTasks, getTask, createTask). It reads the same API Gateway proxy event and runs the
 * same SQL as the real handlers (caller lookup as in `findUserBySub`, then the task statement of
 * `listTasksForOwner`, `findTaskForCaller` or `insertTask` in a transaction), with a `pg` pool
 * configured like the runtime's — and nothing else: no router, no validation, no logger, no
 * problem+json. Whatever the real handler costs beyond this is the framework's overhead.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import pg from 'pg';

// The runtime's pool settings (handlers/runtime/db.ts, config.ts defaults); max 1 as on Lambda.
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX ?? 1),
  connectionTimeoutMillis: 3000,
  idleTimeoutMillis: 60_000,
  statement_timeout: 5000,
  query_timeout: 6000,
  application_name: 'taskboard-bench-baseline',
});

const userColumns = 'id, email, name, phone_number, role, version, created_at, updated_at';
const taskColumns =
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

const toTask = (row: TaskRow) => ({
  id: row.id,
  ownerId: row.owner_id,
  title: row.title,
  description: row.description,
  status: row.status,
  priority: row.priority,
  dueDate: row.due_date,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function callerOf(event: APIGatewayProxyEvent): Promise<{ id: string; role: string } | undefined> {
  const sub = event.requestContext.authorizer?.claims?.sub as string | undefined;
  const { rows } = await pool.query<{ id: string; role: string }>(
    `SELECT ${userColumns} FROM users WHERE cognito_sub = $1`,
    [sub],
  );
  return rows[0];
}

async function listTasks(event: APIGatewayProxyEvent, caller: { id: string }): Promise<APIGatewayProxyResult> {
  const limit = Number(event.queryStringParameters?.limit ?? 20);
  const cursor = event.queryStringParameters?.cursor;
  const [createdAt, id] = cursor
    ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string])
    : [null, null];
  const { rows } = await pool.query<TaskRow>(
    `SELECT ${taskColumns} FROM tasks
     WHERE owner_id = $1
       AND ($2::text IS NULL OR status = $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
     ORDER BY created_at DESC, id DESC
     LIMIT $5`,
    [caller.id, null, createdAt, id, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url')
      : null;
  return json(200, { items: page.map(toTask), nextCursor });
}

async function getTask(event: APIGatewayProxyEvent, caller: { id: string; role: string }) {
  const { rows } = await pool.query<TaskRow>(
    `SELECT ${taskColumns} FROM tasks WHERE id = $1 AND (owner_id = $2 OR $3)`,
    [event.pathParameters?.taskId, caller.id, caller.role === 'admin'],
  );
  const row = rows[0];
  if (!row) return json(404, { title: 'Not Found' });
  return json(200, toTask(row), { ETag: `"${row.version}"` });
}

async function createTask(event: APIGatewayProxyEvent, caller: { id: string }): Promise<APIGatewayProxyResult> {
  const body = JSON.parse(event.body ?? '{}') as Record<string, string | undefined>;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<TaskRow>(
      `INSERT INTO tasks (owner_id, title, description, status, priority, due_date)
     VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING ${taskColumns}`,
      [
        caller.id,
        body.title,
        body.description ?? '',
        body.status ?? 'todo',
        body.priority ?? 'medium',
        body.dueDate ?? null,
      ],
    );
    await client.query('COMMIT');
    client.release();
    const row = rows[0] as TaskRow;
    return json(201, toTask(row), { ETag: `"${row.version}"`, Location: `/tasks/${row.id}` });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
    throw error;
  }
}

/** The Lambda entry: dispatches on the API Gateway resource template, as a hand-written function would. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = await callerOf(event);
  if (!caller) return json(403, { title: 'Forbidden' });
  switch (`${event.httpMethod} ${event.resource}`) {
    case 'GET /tasks':
      return listTasks(event, caller);
    case 'GET /tasks/{taskId}':
      return getTask(event, caller);
    case 'POST /tasks':
      return createTask(event, caller);
    default:
      return json(404, { title: 'Not Found' });
  }
}

/** Closes the pool (the bench's HTTP wrapper on shutdown). */
export const close = (): Promise<void> => pool.end();
