/**
 * Hostile input, generated from the spec: for every operation, fast-check derives invalid requests
 * from its parameters and request-body schema (test/reliability/support/hostile-requests.ts) and
 * sends them over HTTP through the local API Gateway with registered users' tokens — at least 200
 * per operation, 2,400 or more per run. Every answer is below 500 and valid against the spec;
 * every flawed request is rejected with a 4xx problem+json; and the rows the test's users own are
 * byte-for-byte the same afterwards.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContract } from '../support/contract.ts';
import {
  closeServedSuite,
  createTask,
  ownedRows,
  type RegisteredUser,
  registerUser,
  type ServedApi,
  serveSuite,
} from './support/api.ts';
import {
  type HostileRequest,
  hostileRequests,
  injectionStrings,
  type OperationShape,
  operationShapes,
} from './support/hostile-requests.ts';
import type { RawResponse } from './support/http.ts';
import { jsonRequest } from './support/http.ts';

const contract = createContract();
const requestsPerOperation = 200;
const batch = { minLength: 5, maxLength: 8 } as const;
const runs = Math.ceil(requestsPerOperation / batch.minLength);

let api: ServedApi;
let db: pg.Pool;

beforeAll(async () => {
  ({ api, db } = await serveSuite());
});

afterAll(() => closeServedSuite({ api, db }));

/**
 * The sender — an administrator, so that every operation is theirs to call — owning a task, and
 * another user with a task: the rows the hostile requests must leave alone. The requests carry the
 * sender's token and own ids, so a valid one would succeed and validation is what answers.
 */
async function registeredWorld() {
  const [owner, other] = await Promise.all([
    registerUser(api.client, 'owner', ['admin']),
    registerUser(api.client, 'other'),
  ]);
  const [ownerTask] = await Promise.all([createTask(api.client, owner.token), createTask(api.client, other.token)]);
  const users: RegisteredUser[] = [owner, other];
  return { users, sender: { token: owner.token, ids: { userId: owner.id, taskId: ownerTask.id } } };
}

/** Throws, describing the exchange, unless the answer is what a hostile request deserves. */
function expectRejectedOrIgnored(request: HostileRequest, response: RawResponse): void {
  const exchange = `${request.method} ${request.path.slice(0, 120)} [${request.flaws.join('; ') || 'noise only'}] → ${response.status} ${response.text.slice(0, 200)}`;
  if (response.status >= 500) throw new Error(`5xx: ${exchange}`);
  try {
    contract.check(request.operationId, response);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n  ${exchange}`);
  }
  if (request.flaws.length === 0) {
    if (response.status >= 300) throw new Error(`noise was not ignored: ${exchange}`);
    return;
  }
  if (response.status !== request.status) throw new Error(`expected ${request.status}: ${exchange}`);
  if (response.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(`rejection is not problem+json: ${exchange}`);
  }
}

describe.each(operationShapes().map((shape): [string, OperationShape] => [shape.operationId, shape]))(
  '%s',
  (_operationId, shape) => {
    it(`answers ${requestsPerOperation}+ generated hostile requests without a 5xx, each flawed one with the status its flaw calls for (400, 413, 415) as a problem, and changes no row`, async () => {
      // Arrange
      const { users, sender } = await registeredWorld();
      const before = await ownedRows(db, users);
      let sent = 0;

      // Act and assert, request by request
      await fc.assert(
        fc.asyncProperty(fc.array(hostileRequests(shape, sender), batch), async (requests) => {
          const responses = await Promise.all(requests.map((request) => api.client.send(request)));
          sent += requests.length;
          for (const [index, response] of responses.entries()) {
            expectRejectedOrIgnored(requests[index] as HostileRequest, response);
          }
        }),
        { numRuns: runs },
      );

      // Assert
      expect(sent).toBeGreaterThanOrEqual(requestsPerOperation);
      expect(await ownedRows(db, users)).toEqual(before);
    });
  },
);

describe('SQL and path injection as data', () => {
  // NUL cannot be stored (next test); a lone surrogate is not Unicode text and is stored as U+FFFD.
  const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  const storable = injectionStrings.filter((text) => !text.includes('\u0000') && !loneSurrogate.test(text));

  it('stores every injection string verbatim in every free-text field and reads it back unchanged', async () => {
    // Arrange
    const owner = await registerUser(api.client, 'verbatim');
    const tablesBefore = await db.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );

    // Act
    const stored = [];
    for (const text of storable) {
      const created = await api.client.send(
        jsonRequest('POST', '/tasks', { token: owner.token, body: { title: text, description: text } }),
      );
      const read = await api.client.send(jsonRequest('GET', `/tasks/${created.json?.id}`, { token: owner.token }));
      const renamed = await api.client.send(
        jsonRequest('PUT', `/users/${owner.id}`, { token: owner.token, body: { name: text } }),
      );
      for (const [operationId, response] of [
        ['createTask', created],
        ['getTask', read],
        ['updateUser', renamed],
      ] as const) {
        contract.check(operationId, response);
      }
      stored.push({ text, title: read.json?.title, description: read.json?.description, name: renamed.json?.name });
    }
    const tablesAfter = await db.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );

    // Assert
    expect(stored).toEqual(storable.map((text) => ({ text, title: text, description: text, name: text })));
    expect(tablesAfter.rows).toEqual(tablesBefore.rows);
  });

  it('answers 400 problem+json, and writes nothing, for text PostgreSQL cannot store (the NUL character)', async () => {
    // Arrange
    const owner = await registerUser(api.client, 'nul');
    const task = await createTask(api.client, owner.token);
    const before = await ownedRows(db, [owner]);

    // Act
    const responses = await Promise.all([
      api.client.send(jsonRequest('POST', '/tasks', { token: owner.token, body: { title: 'a\u0000b' } })),
      api.client.send(
        jsonRequest('POST', '/tasks', {
          token: owner.token,
          body: { title: 'ok', description: '\u0000' },
          headers: { 'Idempotency-Key': randomUUID() },
        }),
      ),
      api.client.send(jsonRequest('PATCH', `/tasks/${task.id}`, { token: owner.token, body: { title: '\u0000' } })),
      api.client.send(jsonRequest('PUT', `/users/${owner.id}`, { token: owner.token, body: { name: 'x\u0000' } })),
    ]);

    // Assert
    const operationIds = ['createTask', 'createTask', 'updateTask', 'updateUser'];
    for (const [index, response] of responses.entries()) contract.check(operationIds[index] as string, response);
    expect(responses.map((response) => response.status)).toEqual([400, 400, 400, 400]);
    expect(await ownedRows(db, [owner])).toEqual(before);
  });
});
