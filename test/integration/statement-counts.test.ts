/**
 * One round trip per operation: what reaches PostgreSQL for each operation, counted on the wire by
 * a proxy in front of the server (test/support/statement-counter.ts), so a BEGIN or COMMIT sent by
 * any layer is seen (the count is deterministic; a timing would not be). No BEGIN or COMMIT
 * anywhere: every operation is one statement, caller resolution included. Each case arranges its
 * own caller and resources, and asserts the status it claims to measure; every operation also
 * sends its spec-made request on the caller's own resources (so a new operation is counted with no
 * edit), expecting its first documented success status.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OperationId, operationResponses } from '../../generated/operations.ts';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { actingAs, createTestHandler, type EventOptions, uniqueEmail } from '../support/factories.ts';
import { operationIds } from '../support/operations.ts';
import { createOneOfEach, type PathValues, validRequest } from '../support/spec-requests.ts';
import { type StatementCounter, startStatementCounter } from '../support/statement-counter.ts';

let counter: StatementCounter;
let handler: ApiHandler;

beforeAll(async () => {
  counter = await startStatementCounter(inject('databaseUrl'));
  handler = createTestHandler({ databaseUrl: counter.url });
});

afterAll(async () => {
  await handler?.close();
  await counter?.close();
});

type Caller = ReturnType<typeof actingAs>;

/** A request; `as` sends it as a caller who has not registered yet, or as a registered administrator. */
type Call = Omit<EventOptions, 'claims'> & { as?: 'newcomer' | 'admin' };

/** The caller's resources, one of each the spec's paths name (`userId`, `taskId`, …). */
type Owned = PathValues;

interface Case {
  /** The status the case measures: a count taken on another path proves nothing about this one. */
  status: number;
  request: (owned: Owned) => Call;
  /** Runs before the counted request (not counted), as the case's caller. */
  arrange?: (caller: Caller, owned: Owned) => Promise<void>;
}

/** Operations only an administrator may call: their spec-made request is sent as one. */
const administrative: ReadonlySet<OperationId> = new Set<OperationId>(['listUsers']);

/** The spec-made request (validRequest) on the caller's own resources: every operation gets it. */
const specMade = (operationId: OperationId): Case => ({
  status: operationResponses[operationId].successStatuses[0],
  request: (owned) => {
    const { method, path, body, headers } = validRequest(operationId, owned);
    return {
      method,
      path,
      ...(body === undefined ? {} : { body }),
      ...(headers ? { headers } : {}),
      ...(administrative.has(operationId) ? { as: 'admin' as const } : {}),
    };
  },
});

const keyedCreate = (key: string): Call => ({
  method: 'POST',
  path: '/tasks',
  body: { title: 'Keyed' },
  headers: { 'Idempotency-Key': key },
});

/** Particular cases beyond the spec-made one, by operation. */
const particularCases: { [Op in OperationId]?: Array<[string, Case]> } = {
  registerUser: [
    ['a new user (201)', { status: 201, request: () => ({ method: 'POST', path: '/users', as: 'newcomer' }) }],
    [
      'with an Idempotency-Key (200)',
      {
        status: 200,
        request: () => ({ method: 'POST', path: '/users', headers: { 'Idempotency-Key': randomUUID() } }),
      },
    ],
  ],
  listUsers: [['an ordinary user (403)', { status: 403, request: () => ({ method: 'GET', path: '/users' }) }]],
  getUser: [
    ['another user (404)', { status: 404, request: () => ({ method: 'GET', path: `/users/${randomUUID()}` }) }],
  ],
  updateUser: [
    [
      'stale (412)',
      {
        status: 412,
        request: (o) => ({
          method: 'PUT',
          path: `/users/${o.userId}`,
          body: { name: 'X' },
          headers: { 'If-Match': '"9"' },
        }),
      },
    ],
  ],
  deleteUser: [
    ['another user (404)', { status: 404, request: () => ({ method: 'DELETE', path: `/users/${randomUUID()}` }) }],
  ],
  createTask: [
    ['with an Idempotency-Key (201)', { status: 201, request: () => keyedCreate('k-first') }],
    [
      'replayed (201, the first answer)',
      {
        status: 201,
        arrange: async (caller) => {
          const { method, path, ...rest } = keyedCreate('k-replayed');
          expect((await caller.call(method, path, rest)).status).toBe(201);
        },
        request: () => keyedCreate('k-replayed'),
      },
    ],
  ],
  getTask: [
    [
      'not modified (304)',
      {
        status: 304,
        request: (o) => ({ method: 'GET', path: `/tasks/${o.taskId}`, headers: { 'If-None-Match': '"1"' } }),
      },
    ],
  ],
  updateTask: [
    [
      'stale (412)',
      {
        status: 412,
        request: (o) => ({
          method: 'PATCH',
          path: `/tasks/${o.taskId}`,
          body: { status: 'done' },
          headers: { 'If-Match': '"99"' },
        }),
      },
    ],
  ],
};

describe.each(operationIds)('%s', (operationId) => {
  const cases: Array<[string, Case]> = [
    ...(particularCases[operationId] ?? []),
    ['the spec-made request', specMade(operationId)],
  ];

  it.each(cases)('%s: sends one statement and no transaction', async (_case, { status, request, arrange }) => {
    // Arrange: the case's own caller, registered through the API, owns one of each resource.
    const caller = actingAs(handler, uniqueEmail('counted'));
    const owned = await createOneOfEach(async ({ method, path, body }) => {
      const created = await caller.call(method, path, { body });
      return { status: created.status, json: created.body };
    });
    await arrange?.(caller, owned);
    const { method, path, as, ...rest } = request(owned);
    let sender = caller;
    if (as === 'newcomer') sender = actingAs(handler, uniqueEmail('newcomer'));
    if (as === 'admin') {
      sender = actingAs(handler, uniqueEmail('counted-admin'), { groups: ['admin'] });
      expect((await sender.call('POST', '/users')).status).toBe(201);
    }
    counter.reset();

    // Act
    const response = await sender.call(method, path, rest);

    // Assert
    expect(response.status).toBe(status);
    const sent = counter.statements.map((statement) => statement.text);
    expect(sent).toHaveLength(1);
    expect(sent.join(';')).not.toMatch(/\b(BEGIN|COMMIT)\b/i);
  });
});
