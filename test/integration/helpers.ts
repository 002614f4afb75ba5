/**
 * Integration-test helpers: registered callers, and a direct connection to the test database to
 * arrange rows and to check what a request did (or did not) change.
 */
import type pg from 'pg';
import type { components } from '../../generated/api.ts';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { openDatabase } from '../support/database.ts';
import {
  actingAs,
  buildTask,
  createTestHandler,
  type ParsedResponse,
  type TaskCreate,
  uniqueEmail,
} from '../support/factories.ts';

export { openDatabase };

export type User = components['schemas']['User'];
export type Task = components['schemas']['Task'];
export type Problem = components['schemas']['Problem'];

/** A new user who has registered through registerUser (as an admin when `groups` holds `admin`). */
export async function registeredCaller(handler: ApiHandler, label = 'user', options: { groups?: string[] } = {}) {
  const caller = actingAs(handler, uniqueEmail(label), options);
  const response = await caller.call<User>('POST', '/users');
  if (response.status !== 201) throw new Error(`registerUser answered ${response.status}`);
  return { ...caller, id: response.body.id, user: response.body };
}

export type Caller = Awaited<ReturnType<typeof registeredCaller>>;

/** A task `caller` created through createTask. */
export async function createdTask(caller: Caller, overrides: Partial<TaskCreate> = {}) {
  const response = await caller.call<Task>('POST', '/tasks', { body: buildTask(overrides) });
  if (response.status !== 201) throw new Error(`createTask answered ${response.status}`);
  return { task: response.body, etag: response.headers.etag ?? '' };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every page of a list operation, following `nextCursor` until the last page (or an error). */
export async function allPages<T>(
  caller: Pick<Caller, 'call'>,
  path: string,
  query: Record<string, string>,
): Promise<Array<ParsedResponse<Page<T>>>> {
  const pages: Array<ParsedResponse<Page<T>>> = [];
  let cursor: string | null = null;
  do {
    const response: ParsedResponse<Page<T>> = await caller.call<Page<T>>('GET', path, {
      query: { ...query, ...(cursor ? { cursor } : {}) },
    });
    pages.push(response);
    cursor = response.status === 200 ? response.body.nextCursor : null;
  } while (cursor && pages.length < 1000);
  return pages;
}

/** How many tasks `ownerId` has in the database. */
export async function countTasks(db: pg.Pool, ownerId: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>('SELECT count(*) FROM tasks WHERE owner_id = $1', [ownerId]);
  return Number(rows[0]?.count);
}

/** The task row as stored, or undefined when it does not exist. */
export async function taskRow(db: pg.Pool, id: string) {
  const { rows } = await db.query('SELECT * FROM tasks WHERE id = $1', [id]);
  return rows[0];
}

/** The user row as stored, or undefined when it does not exist. */
export async function userRow(db: pg.Pool, id: string) {
  const { rows } = await db.query('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0];
}

/** The handler and a database pool every integration file uses, opened before its tests and closed after. */
export function openSuite(): { handler: ApiHandler; db: pg.Pool } {
  return { handler: createTestHandler(), db: openDatabase() };
}

export async function closeSuite(suite: { handler: ApiHandler; db: pg.Pool }): Promise<void> {
  await suite.handler.close();
  await suite.db.end();
}
