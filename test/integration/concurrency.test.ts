import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { actingAs, uniqueEmail } from '../support/factories.ts';
import {
  closeSuite,
  countTasks,
  createdTask,
  openSuite,
  registeredCaller,
  type Task,
  taskRow,
  type User,
} from './helpers.ts';

let handler: ApiHandler;
let db: pg.Pool;

beforeAll(() => {
  ({ handler, db } = openSuite());
});

afterAll(() => closeSuite({ handler, db }));

const times = <T>(count: number, request: () => Promise<T>) => Promise.all(Array.from({ length: count }, request));

describe('createTask', () => {
  it('when 20 requests with one Idempotency-Key arrive at once, creates one task and answers all 20 identically', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'burst');
    const headers = { 'Idempotency-Key': randomUUID() };
    const body = { title: 'Created once', priority: 'high' };

    // Act
    const responses = await times(20, () => owner.call<Task>('POST', '/tasks', { headers, body }));

    // Assert
    expect(await countTasks(db, owner.id)).toBe(1);
    const [first] = responses;
    expect(first?.status).toBe(201);
    expect(first?.headers.etag).toBe('"1"');
    for (const response of responses) expect(response).toEqual(first);
  });
});

describe('updateTask', () => {
  it('when 50 updates with the same If-Match arrive at once, exactly one succeeds and the rest get 412', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'racer');
    const { task, etag } = await createdTask(owner);

    // Act
    const responses = await times(50, () =>
      owner.call<Task>('PATCH', `/tasks/${task.id}`, {
        headers: { 'If-Match': etag },
        body: { title: `Winner ${randomUUID()}` },
      }),
    );

    // Assert
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 412)).toHaveLength(49);
    const winner = responses.find((response) => response.status === 200);
    expect(await taskRow(db, task.id)).toMatchObject({ title: winner?.body.title, version: 2 });
  });
});

describe('registerUser', () => {
  it('when one caller registers 10 times at once, creates one user: one 201 and nine 200 with the same profile', async () => {
    // Arrange
    const caller = actingAs(handler, uniqueEmail('stampede'));

    // Act
    const responses = await times(10, () => caller.call<User>('POST', '/users'));

    // Assert
    const { rows } = await db.query('SELECT id FROM users WHERE cognito_sub = $1', [caller.claims.sub]);
    expect(rows).toHaveLength(1);
    const statuses = responses.map((response) => response.status).sort((a, b) => a - b);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    for (const response of responses) expect(response.body.id).toBe(rows[0]?.id);
  });

  it('when one caller registers 10 times at once with one Idempotency-Key, answers all 10 with the same 201', async () => {
    // Arrange
    const caller = actingAs(handler, uniqueEmail('keyed-stampede'));
    const headers = { 'Idempotency-Key': randomUUID() };

    // Act
    const responses = await times(10, () => caller.call<User>('POST', '/users', { headers }));

    // Assert
    const [first] = responses;
    expect(first?.status).toBe(201);
    for (const response of responses) expect(response).toEqual(first);
  });
});
