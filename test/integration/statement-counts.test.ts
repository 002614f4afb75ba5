/**
 * One round trip per operation: what the pool sends for each operation, counted at the pool (the
 * count is deterministic; a timing would not be). No BEGIN or COMMIT anywhere: every operation is one
 * statement, caller resolution included.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperationId } from '../../generated/operations.ts';
import { actingAs, buildTask, createTestHandler, type EventOptions, uniqueEmail } from '../support/factories.ts';

const statements: string[] = [];
const handler = createTestHandler({ onStatement: (text) => statements.push(text) });

afterAll(() => handler.close());

/** A request; `as` sends it as a caller who has not registered yet, or as a registered administrator. */
type Call = Omit<EventOptions, 'claims'> & { as?: 'newcomer' | 'admin' };

/** The request each case sends, given a fresh registered user with one task (and an admin). */
interface Arranged {
  userId: string;
  taskId: string;
  etag: string;
}

/** Every operation with the cases to count; typed by OperationId, so a new operation must be named here. */
const cases = {
  getHealth: [['', () => ({ method: 'GET', path: '/health' })]],
  registerUser: [
    ['a new user', () => ({ method: 'POST', path: '/users', as: 'newcomer' })],
    ['an existing user', () => ({ method: 'POST', path: '/users' })],
    [
      'with an Idempotency-Key',
      () => ({ method: 'POST', path: '/users', headers: { 'Idempotency-Key': randomUUID() } }),
    ],
  ],
  getCurrentUser: [['', () => ({ method: 'GET', path: '/users/me' })]],
  listUsers: [
    ['an administrator', () => ({ method: 'GET', path: '/users', as: 'admin' })],
    ['a user (403)', () => ({ method: 'GET', path: '/users' })],
  ],
  getUser: [
    ['self', (a) => ({ method: 'GET', path: `/users/${a.userId}` })],
    ['another user', () => ({ method: 'GET', path: `/users/${randomUUID()}` })],
  ],
  updateUser: [
    ['', (a) => ({ method: 'PUT', path: `/users/${a.userId}`, body: { name: 'Renamed' } })],
    [
      'stale (412)',
      (a) => ({ method: 'PUT', path: `/users/${a.userId}`, body: { name: 'X' }, headers: { 'If-Match': '"9"' } }),
    ],
  ],
  deleteUser: [['another user (404)', () => ({ method: 'DELETE', path: `/users/${randomUUID()}` })]],
  listTasks: [['', () => ({ method: 'GET', path: '/tasks' })]],
  createTask: [
    ['', () => ({ method: 'POST', path: '/tasks', body: buildTask() })],
    [
      'with an Idempotency-Key',
      () => ({ method: 'POST', path: '/tasks', body: { title: 'Keyed' }, headers: { 'Idempotency-Key': 'k-1' } }),
    ],
    [
      'replayed',
      () => ({ method: 'POST', path: '/tasks', body: { title: 'Keyed' }, headers: { 'Idempotency-Key': 'k-1' } }),
    ],
  ],
  getTask: [
    ['', (a) => ({ method: 'GET', path: `/tasks/${a.taskId}` })],
    [
      'not modified (304)',
      (a) => ({ method: 'GET', path: `/tasks/${a.taskId}`, headers: { 'If-None-Match': a.etag } }),
    ],
  ],
  updateTask: [
    ['', (a) => ({ method: 'PATCH', path: `/tasks/${a.taskId}`, body: { status: 'done' } })],
    [
      'stale (412)',
      (a) => ({
        method: 'PATCH',
        path: `/tasks/${a.taskId}`,
        body: { status: 'done' },
        headers: { 'If-Match': '"99"' },
      }),
    ],
  ],
  deleteTask: [['', (a) => ({ method: 'DELETE', path: `/tasks/${a.taskId}` })]],
} satisfies { [Op in OperationId]: Array<[string, (arranged: Arranged) => Call]> };

const admin = actingAs(handler, uniqueEmail('counted-admin'), { groups: ['admin'] });

describe.each(Object.entries(cases))('%s', (_operationId, operationCases) => {
  const caller = actingAs(handler, uniqueEmail('counted'));
  let arranged: Arranged | undefined;

  it.each(operationCases)('%s: sends one statement and no transaction', async (_case, request) => {
    // Arrange: the caller is registered (through the API) and owns one task.
    if (!arranged) {
      const registered = await caller.call<{ id: string }>('POST', '/users');
      const task = await caller.call<{ id: string }>('POST', '/tasks', { body: buildTask() });
      arranged = { userId: registered.body.id, taskId: task.body.id, etag: task.headers.etag ?? '' };
      await admin.call('POST', '/users');
    }
    const { method, path, as, ...rest } = request(arranged) as Call;
    const sender = as === 'newcomer' ? actingAs(handler, uniqueEmail('newcomer')) : as === 'admin' ? admin : caller;
    statements.length = 0;

    // Act
    const response = await sender.call(method, path, rest);

    // Assert
    expect(response.status).toBeLessThan(500);
    if (as === 'newcomer') expect(response.status).toBe(201);
    expect(statements).toHaveLength(1);
    expect(statements.join(';')).not.toMatch(/\b(BEGIN|COMMIT)\b/i);
  });
});
