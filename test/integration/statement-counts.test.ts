/**
 * One round trip per operation: what the pool sends for each operation, counted at the pool (the
 * count is deterministic; a timing would not be). No BEGIN or COMMIT anywhere: every operation is one
 * statement, caller resolution included. Every operation sends its spec-made request on the caller's
 * own resources (so a new operation is counted with no edit), after the particular cases below.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperationId } from '../../generated/operations.ts';
import { actingAs, createTestHandler, type EventOptions, uniqueEmail } from '../support/factories.ts';
import { operationIds } from '../support/operations.ts';
import { createOneOfEach, type PathValues, validRequest } from '../support/spec-requests.ts';

const statements: string[] = [];
const handler = createTestHandler({ onStatement: (text) => statements.push(text) });

afterAll(() => handler.close());

/** A request; `as` sends it as a caller who has not registered yet, or as a registered administrator. */
type Call = Omit<EventOptions, 'claims'> & { as?: 'newcomer' | 'admin' };

/** The caller's resources, one of each the spec's paths name (`userId`, `taskId`, …). */
type Owned = PathValues;

/** The spec-made request (validRequest) on the caller's own resources: every operation gets it, last. */
const specMade =
  (operationId: OperationId) =>
  (owned: Owned): Call => {
    const { method, path, body, headers } = validRequest(operationId, owned);
    return { method, path, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) };
  };

/** Particular cases beyond the spec-made one, by operation. */
const particularCases: { [Op in OperationId]?: Array<[string, (owned: Owned) => Call]> } = {
  registerUser: [
    ['a new user', () => ({ method: 'POST', path: '/users', as: 'newcomer' })],
    [
      'with an Idempotency-Key',
      () => ({ method: 'POST', path: '/users', headers: { 'Idempotency-Key': randomUUID() } }),
    ],
  ],
  listUsers: [['an administrator', () => ({ method: 'GET', path: '/users', as: 'admin' })]],
  getUser: [['another user', () => ({ method: 'GET', path: `/users/${randomUUID()}` })]],
  updateUser: [
    [
      'stale (412)',
      (o) => ({ method: 'PUT', path: `/users/${o.userId}`, body: { name: 'X' }, headers: { 'If-Match': '"9"' } }),
    ],
  ],
  deleteUser: [['another user (404)', () => ({ method: 'DELETE', path: `/users/${randomUUID()}` })]],
  createTask: [
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
    ['not modified (304)', (o) => ({ method: 'GET', path: `/tasks/${o.taskId}`, headers: { 'If-None-Match': '"1"' } })],
  ],
  updateTask: [
    [
      'stale (412)',
      (o) => ({
        method: 'PATCH',
        path: `/tasks/${o.taskId}`,
        body: { status: 'done' },
        headers: { 'If-Match': '"99"' },
      }),
    ],
  ],
};

const admin = actingAs(handler, uniqueEmail('counted-admin'), { groups: ['admin'] });

describe.each(operationIds)('%s', (operationId) => {
  const caller = actingAs(handler, uniqueEmail('counted'));
  let owned: Owned | undefined;
  const cases: Array<[string, (owned: Owned) => Call]> = [
    ...(particularCases[operationId] ?? []),
    ['the spec-made request', specMade(operationId)],
  ];

  it.each(cases)('%s: sends one statement and no transaction', async (_case, request) => {
    // Arrange: the caller is registered (through the API) and owns one of each resource.
    if (!owned) {
      owned = await createOneOfEach(async ({ method, path, body }) => {
        const created = await caller.call(method, path, { body });
        return { status: created.status, json: created.body };
      });
      await admin.call('POST', '/users');
    }
    const { method, path, as, ...rest } = request(owned);
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
