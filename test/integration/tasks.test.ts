import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { encodeCursor } from '../../handlers/runtime/http.ts';
import { actingAs, buildTask, uniqueEmail } from '../support/factories.ts';
import {
  allPages,
  closeSuite,
  countTasks,
  createdTask,
  openSuite,
  type Page,
  type Problem,
  registeredCaller,
  type Task,
  taskRow,
} from './helpers.ts';

type TaskList = Page<Task>;

let handler: ApiHandler;
let db: pg.Pool;

beforeAll(() => {
  ({ handler, db } = openSuite());
});

afterAll(() => closeSuite({ handler, db }));

/** Newest first, ties broken by id (descending): the order listTasks promises. */
const newestFirst = (tasks: Task[]) =>
  [...tasks].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));

describe('listTasks', () => {
  it('when the caller lists tasks, returns only their own', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const other = await registeredCaller(handler, 'other');
    const mine = [(await createdTask(owner)).task, (await createdTask(owner)).task];
    await createdTask(other);

    // Act
    const response = await owner.call<TaskList>('GET', '/tasks');

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual(newestFirst(mine));
    expect(response.body.nextCursor).toBeNull();
  });

  it('when the caller filters by status, returns only tasks with that status', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'filter');
    await createdTask(owner, { status: 'todo' });
    const done = [
      (await createdTask(owner, { status: 'done' })).task,
      (await createdTask(owner, { status: 'done' })).task,
    ];
    await createdTask(owner, { status: 'in_progress' });

    // Act
    const response = await owner.call<TaskList>('GET', '/tasks', { query: { status: 'done' } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual(newestFirst(done));
  });

  it('when 25 tasks are paged with limit 10, returns each exactly once, newest first, in pages of 10, 10 and 5', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'pager');
    const created: Task[] = [];
    for (let index = 0; index < 25; index += 1) created.push((await createdTask(owner)).task);

    // Act
    const pages = await allPages<Task>(owner, '/tasks', { limit: '10' });

    // Assert
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
    expect(pages.map((page) => page.body.items.length)).toEqual([10, 10, 5]);
    expect(pages.at(-1)?.body.nextCursor).toBeNull();
    expect(pages.flatMap((page) => page.body.items)).toEqual(newestFirst(created));
  });

  it('when paging a status filter, keeps the filter on every page', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'filter-pager');
    const done: Task[] = [];
    for (let index = 0; index < 5; index += 1) {
      done.push((await createdTask(owner, { status: 'done' })).task);
      await createdTask(owner, { status: 'todo' });
    }

    // Act
    const pages = await allPages<Task>(owner, '/tasks', { status: 'done', limit: '2' });

    // Assert
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
    expect(pages.flatMap((page) => page.body.items)).toEqual(newestFirst(done));
  });

  it('when a non-admin passes another user’s ownerId, returns 403', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    await createdTask(owner);
    const other = await registeredCaller(handler, 'snoop');

    // Act
    const response = await other.call<Problem>('GET', '/tasks', { query: { ownerId: owner.id } });

    // Assert
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it('when a non-admin passes their own ownerId, returns their tasks', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'own-id');
    const { task } = await createdTask(owner);

    // Act
    const response = await owner.call<TaskList>('GET', '/tasks', { query: { ownerId: owner.id } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([task]);
  });

  it('when an admin passes ownerId, returns that user’s tasks', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owned');
    const tasks = [(await createdTask(owner)).task, (await createdTask(owner)).task];
    const admin = await registeredCaller(handler, 'admin', { groups: ['admin'] });
    await createdTask(admin);

    // Act
    const response = await admin.call<TaskList>('GET', '/tasks', { query: { ownerId: owner.id } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual(newestFirst(tasks));
  });

  it.each([
    ['limit 0', { limit: '0' }, '/query/limit'],
    ['limit 101', { limit: '101' }, '/query/limit'],
    ['limit abc', { limit: 'abc' }, '/query/limit'],
    ['an unknown status', { status: 'archived' }, '/query/status'],
    ['a forged cursor', { cursor: encodeCursor({ createdAt: 'now', id: randomUUID() }) }, '/query/cursor'],
  ])('when the query has %s, returns 400 pointing at the parameter', async (_case, query, path) => {
    // Arrange
    const owner = await registeredCaller(handler, 'bad-query');

    // Act
    const response = await owner.call<Problem>('GET', '/tasks', { query });

    // Assert
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body.errors?.map((error) => error.path)).toEqual([path]);
  });

  it('when the caller has not registered, returns 403', async () => {
    // Arrange
    const stranger = actingAs(handler, uniqueEmail('stranger'));

    // Act
    const response = await stranger.call<Problem>('GET', '/tasks');

    // Assert
    expect(response.status).toBe(403);
  });
});

describe('createTask', () => {
  it('when only a title is sent, returns 201 with the defaults, Location and ETag, and stores the task', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'creator');

    // Act
    const response = await owner.call<Task>('POST', '/tasks', { body: { title: 'Just a title' } });

    // Assert
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      ownerId: owner.id,
      title: 'Just a title',
      description: '',
      status: 'todo',
      priority: 'medium',
      dueDate: null,
    });
    expect(response.headers.location).toBe(`/tasks/${response.body.id}`);
    expect(response.headers.etag).toBe('"1"');
    expect(await taskRow(db, response.body.id)).toMatchObject({ owner_id: owner.id, title: 'Just a title' });
  });

  it('when every field is sent at its maximum length, stores them all', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'full');
    const body = {
      title: 't'.repeat(200),
      description: 'd'.repeat(5000),
      status: 'in_progress',
      priority: 'high',
      dueDate: '2028-02-29',
    };

    // Act
    const response = await owner.call<Task>('POST', '/tasks', { body });

    // Assert
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject(body);
    const stored = await owner.call<Task>('GET', `/tasks/${response.body.id}`);
    expect(stored.body).toEqual(response.body);
  });

  it.each([
    ['no title', { description: 'untitled' }],
    ['an empty title', { title: '' }],
    ['a 201-character title', { title: 'x'.repeat(201) }],
    ['a 5001-character description', { title: 'Long', description: 'x'.repeat(5001) }],
    ['an unknown status', { title: 'Status', status: 'blocked' }],
    ['an unknown priority', { title: 'Priority', priority: 'urgent' }],
    ['an impossible date', { title: 'Date', dueDate: '2026-02-30' }],
    ['a date-time instead of a date', { title: 'Date', dueDate: '2026-02-01T10:00:00Z' }],
    ['an unknown field', { title: 'Extra', assignee: 'bob' }],
    ['someone else as owner', { title: 'Owner', ownerId: randomUUID() }],
    ['a number as title', { title: 42 }],
    ['an array body', [{ title: 'In an array' }]],
    ['a null body', null],
  ])('when the body has %s, returns 400 problem+json and creates nothing', async (_case, body) => {
    // Arrange
    const owner = await registeredCaller(handler, 'invalid');
    const before = await countTasks(db, owner.id);

    // Act
    const response = await owner.call<Problem>('POST', '/tasks', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

    // Assert
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(response.body.errors?.length).toBeGreaterThan(0);
    expect(await countTasks(db, owner.id)).toBe(before);
  });

  it('when the body is not valid JSON, returns 400 and creates nothing', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'bad-json');

    // Act
    const response = await owner.call<Problem>('POST', '/tasks', {
      headers: { 'Content-Type': 'application/json' },
      body: '{"title": "unterminated',
    });

    // Assert
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path: '/body', message: 'must be valid JSON' }]);
    expect(await countTasks(db, owner.id)).toBe(0);
  });

  it('when fields hold SQL-injection strings, stores them verbatim and leaves the tables intact', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'injector');
    const bystander = await registeredCaller(handler, 'bystander');
    await createdTask(bystander);
    const body = {
      title: "Robert'); DROP TABLE tasks;--",
      description: "' OR '1'='1'; UPDATE users SET role = 'admin' WHERE '1'='1",
    };

    // Act
    const response = await owner.call<Task>('POST', '/tasks', { body });

    // Assert
    expect(response.status).toBe(201);
    expect(await taskRow(db, response.body.id)).toMatchObject({ title: body.title, description: body.description });
    expect(await countTasks(db, bystander.id)).toBe(1);
    const { rows } = await db.query('SELECT role FROM users WHERE id = ANY($1)', [[owner.id, bystander.id]]);
    expect(rows.map((row) => row.role)).toEqual(['user', 'user']);
  });

  it('when the body is sent as text/plain, returns 415 and creates nothing', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'plain');

    // Act
    const response = await owner.call<Problem>('POST', '/tasks', {
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ title: 'Plain text' }),
    });

    // Assert
    expect(response.status).toBe(415);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await countTasks(db, owner.id)).toBe(0);
  });

  it('when the body is over 64 KiB, returns 413 and creates nothing', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'large');
    const body = { title: 'Large', description: 'x'.repeat(64 * 1024) };

    // Act
    const response = await owner.call<Problem>('POST', '/tasks', { body });

    // Assert
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await countTasks(db, owner.id)).toBe(0);
  });

  it('when a retry reuses the Idempotency-Key with the same body (keys reordered), returns the first response and creates one task', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'retry');
    const headers = { 'Idempotency-Key': randomUUID() };
    const first = await owner.call<Task>('POST', '/tasks', { headers, body: { title: 'Once', priority: 'low' } });

    // Act
    const retry = await owner.call<Task>('POST', '/tasks', { headers, body: { priority: 'low', title: 'Once' } });

    // Assert
    expect(first.status).toBe(201);
    expect(retry).toEqual(first);
    expect(await countTasks(db, owner.id)).toBe(1);
  });

  it('when the Idempotency-Key is reused with a different body, returns 422 and creates nothing more', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'reuse');
    const headers = { 'Idempotency-Key': randomUUID() };
    await owner.call('POST', '/tasks', { headers, body: { title: 'First' } });

    // Act
    const response = await owner.call<Problem>('POST', '/tasks', { headers, body: { title: 'Second' } });

    // Assert
    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await countTasks(db, owner.id)).toBe(1);
  });

  it('when two users send the same Idempotency-Key, creates a task for each', async () => {
    // Arrange
    const key = randomUUID();
    const first = await registeredCaller(handler, 'key-a');
    const second = await registeredCaller(handler, 'key-b');
    await first.call('POST', '/tasks', { headers: { 'Idempotency-Key': key }, body: { title: 'Shared key' } });

    // Act
    const response = await second.call<Task>('POST', '/tasks', {
      headers: { 'Idempotency-Key': key },
      body: { title: 'Shared key' },
    });

    // Assert
    expect(response.status).toBe(201);
    expect(response.body.ownerId).toBe(second.id);
    expect(await countTasks(db, first.id)).toBe(1);
    expect(await countTasks(db, second.id)).toBe(1);
  });

  it('when an Idempotency-Key is older than 24 hours (not yet swept), takes it over and creates anew', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'expired-key');
    const key = randomUUID();
    const first = await owner.call<Task>('POST', '/tasks', { headers: { 'Idempotency-Key': key }, body: buildTask() });
    await db.query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1", [key]);

    // Act
    const body = buildTask();
    const retry = await owner.call<Task>('POST', '/tasks', { headers: { 'Idempotency-Key': key }, body });
    const replay = await owner.call<Task>('POST', '/tasks', { headers: { 'Idempotency-Key': key }, body });
    const { rows } = await db.query<{ fresh: boolean }>(
      "SELECT created_at > now() - interval '1 hour' AS fresh FROM idempotency_keys WHERE key = $1",
      [key],
    );

    // Assert
    expect(retry.status).toBe(201);
    expect(retry.body.id).not.toBe(first.body.id);
    expect(replay.body.id).toBe(retry.body.id);
    expect(rows).toEqual([{ fresh: true }]);
  });

  it('when the caller has not registered, returns 403 and creates nothing', async () => {
    // Arrange
    const stranger = actingAs(handler, uniqueEmail('stranger'));
    const title = `Orphan ${randomUUID()}`;

    // Act
    const response = await stranger.call<Problem>('POST', '/tasks', { body: buildTask({ title }) });

    // Assert
    expect(response.status).toBe(403);
    expect((await db.query('SELECT 1 FROM tasks WHERE title = $1', [title])).rows).toEqual([]);
  });
});

describe('getTask', () => {
  it('when the owner asks, returns 200 with the task and its ETag', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'reader');
    const { task } = await createdTask(owner);

    // Act
    const response = await owner.call<Task>('GET', `/tasks/${task.id}`);

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toEqual(task);
    expect(response.headers.etag).toBe('"1"');
  });

  it('when another user asks for the task, returns 404', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const { task } = await createdTask(owner);
    const other = await registeredCaller(handler, 'other');

    // Act
    const response = await other.call<Problem>('GET', `/tasks/${task.id}`);

    // Assert
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it('when an admin asks for another user’s task, returns 200 with it', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const { task } = await createdTask(owner);
    const admin = await registeredCaller(handler, 'admin', { groups: ['admin'] });

    // Act
    const response = await admin.call<Task>('GET', `/tasks/${task.id}`);

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toEqual(task);
  });

  it('when no task has the id, returns 404', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'unknown');

    // Act
    const response = await owner.call<Problem>('GET', `/tasks/${randomUUID()}`);

    // Assert
    expect(response.status).toBe(404);
  });

  it('when the id is not a UUID, returns 400 pointing at /path/taskId', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'malformed');

    // Act
    const response = await owner.call<Problem>('GET', "/tasks/1' OR '1'='1");

    // Assert
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error) => error.path)).toEqual(['/path/taskId']);
  });
});

describe('updateTask', () => {
  it('when some fields are sent, changes them, keeps the others and returns the next ETag', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'patcher');
    const { task } = await createdTask(owner, { description: 'Keep me', priority: 'high', dueDate: '2026-06-01' });

    // Act
    const response = await owner.call<Task>('PATCH', `/tasks/${task.id}`, { body: { status: 'done' } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: task.id,
      title: task.title,
      description: 'Keep me',
      priority: 'high',
      dueDate: '2026-06-01',
      status: 'done',
      createdAt: task.createdAt,
    });
    expect(response.body.updatedAt >= task.updatedAt).toBe(true);
    expect(response.headers.etag).toBe('"2"');
    expect(await taskRow(db, task.id)).toMatchObject({ status: 'done', description: 'Keep me', version: 2 });
  });

  it('when dueDate is sent as null, clears it', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'clear-due');
    const { task } = await createdTask(owner, { dueDate: '2026-06-01' });

    // Act
    const response = await owner.call<Task>('PATCH', `/tasks/${task.id}`, { body: { dueDate: null } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.dueDate).toBeNull();
    expect((await taskRow(db, task.id))?.due_date).toBeNull();
  });

  it('when If-Match is stale, returns 412 and leaves the task unchanged', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'stale');
    const { task, etag } = await createdTask(owner);
    await owner.call('PATCH', `/tasks/${task.id}`, { body: { title: 'Second version' } });
    const before = await taskRow(db, task.id);

    // Act
    const response = await owner.call<Problem>('PATCH', `/tasks/${task.id}`, {
      headers: { 'If-Match': etag },
      body: { title: 'Lost update' },
    });

    // Assert
    expect(response.status).toBe(412);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await taskRow(db, task.id)).toEqual(before);
  });

  it('when If-Match is the current ETag, returns 200', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'fresh');
    const { task, etag } = await createdTask(owner);

    // Act
    const response = await owner.call<Task>('PATCH', `/tasks/${task.id}`, {
      headers: { 'If-Match': etag },
      body: { title: 'Updated with the ETag' },
    });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.title).toBe('Updated with the ETag');
  });

  it('when another user updates the task, returns 404 and leaves it unchanged', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const { task } = await createdTask(owner);
    const other = await registeredCaller(handler, 'vandal');
    const before = await taskRow(db, task.id);

    // Act
    const response = await other.call<Problem>('PATCH', `/tasks/${task.id}`, { body: { title: 'Vandalised' } });

    // Assert
    expect(response.status).toBe(404);
    expect(await taskRow(db, task.id)).toEqual(before);
  });

  it('when an admin updates another user’s task, returns 200 and stores the change', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const { task } = await createdTask(owner);
    const admin = await registeredCaller(handler, 'admin', { groups: ['admin'] });

    // Act
    const response = await admin.call<Task>('PATCH', `/tasks/${task.id}`, { body: { priority: 'low' } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.ownerId).toBe(owner.id);
    expect((await taskRow(db, task.id))?.priority).toBe('low');
  });

  it.each([
    ['an empty object', {}],
    ['an empty title', { title: '' }],
    ['an unknown field', { ownerId: randomUUID() }],
    ['an unknown status', { status: 'blocked' }],
  ])('when the body is %s, returns 400 and leaves the task unchanged', async (_case, body) => {
    // Arrange
    const owner = await registeredCaller(handler, 'bad-patch');
    const { task } = await createdTask(owner);
    const before = await taskRow(db, task.id);

    // Act
    const response = await owner.call<Problem>('PATCH', `/tasks/${task.id}`, { body });

    // Assert
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await taskRow(db, task.id)).toEqual(before);
  });

  it('when no task has the id, returns 404', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'ghost-patch');

    // Act
    const response = await owner.call<Problem>('PATCH', `/tasks/${randomUUID()}`, { body: { title: 'Nobody' } });

    // Assert
    expect(response.status).toBe(404);
  });
});

describe('deleteTask', () => {
  it('when the owner deletes the task, returns 204 and the task is gone', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'deleter');
    const { task } = await createdTask(owner);

    // Act
    const response = await owner.call('DELETE', `/tasks/${task.id}`);

    // Assert
    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
    expect((await owner.call('GET', `/tasks/${task.id}`)).status).toBe(404);
    expect(await taskRow(db, task.id)).toBeUndefined();
  });

  it('when another user deletes the task, returns 404 and the task still exists', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const { task } = await createdTask(owner);
    const other = await registeredCaller(handler, 'other');

    // Act
    const response = await other.call<Problem>('DELETE', `/tasks/${task.id}`);

    // Assert
    expect(response.status).toBe(404);
    expect(await taskRow(db, task.id)).toBeDefined();
  });

  it('when an admin deletes another user’s task, returns 204 and the task is gone', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const { task } = await createdTask(owner);
    const admin = await registeredCaller(handler, 'admin', { groups: ['admin'] });

    // Act
    const response = await admin.call('DELETE', `/tasks/${task.id}`);

    // Assert
    expect(response.status).toBe(204);
    expect(await taskRow(db, task.id)).toBeUndefined();
  });

  it('when the task was deleted already, returns 404', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'twice');
    const { task } = await createdTask(owner);
    expect((await owner.call('DELETE', `/tasks/${task.id}`)).status).toBe(204);

    // Act
    const response = await owner.call<Problem>('DELETE', `/tasks/${task.id}`);

    // Assert
    expect(response.status).toBe(404);
  });
});
