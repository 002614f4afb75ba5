/**
 * Concurrency and retries over HTTP through the local API Gateway: optimistic concurrency lets
 * exactly one of many writers with the same If-Match win; an Idempotency-Key turns concurrent
 * duplicate creates into one row and one answer; a retried registration never creates a second user.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSubject } from '../../scripts/local/identity.ts';
import { createContract } from '../support/contract.ts';
import { openDatabase } from '../support/database.ts';
import { createTestHandler, uniqueEmail } from '../support/factories.ts';
import { createTask, registerUser, type ServedApi, serve, tokenFor } from './support/api.ts';
import { jsonRequest, type RawResponse } from './support/http.ts';

const contract = createContract();
let api: ServedApi;
let db: pg.Pool;

beforeAll(async () => {
  // 50 sockets: every request of a burst is on the wire at the same time.
  api = await serve(createTestHandler(), { maxSockets: 50 });
  db = openDatabase();
});

afterAll(async () => {
  await api.close();
  await db.end();
});

/** What a client sees of an answer: status, the headers the spec documents, and the JSON body. */
const answerOf = (response: RawResponse) => ({
  status: response.status,
  etag: response.headers.get('etag'),
  location: response.headers.get('location'),
  body: response.json,
});

/** How many responses had each status, e.g. `{ 200: 1, 412: 49 }`. */
function statuses(responses: RawResponse[]): Record<number, number> {
  const count: Record<number, number> = {};
  for (const { status } of responses) count[status] = (count[status] ?? 0) + 1;
  return count;
}

describe('updateTask', () => {
  it('lets exactly one of 50 concurrent PATCHes with the same If-Match win; the other 49 get 412', async () => {
    // Arrange
    const owner = await registerUser(api.client, 'racer');
    const task = await createTask(api.client, owner.token, { title: 'Contended' });
    const titles = Array.from({ length: 50 }, (_, index) => `Writer ${index}`);

    // Act
    const responses = await Promise.all(
      titles.map((title) =>
        api.client.send(
          jsonRequest('PATCH', `/tasks/${task.id}`, {
            token: owner.token,
            body: { title },
            headers: { 'If-Match': task.etag },
          }),
        ),
      ),
    );
    const { rows } = await db.query<{ title: string; version: number }>(
      'SELECT title, version FROM tasks WHERE id = $1',
      [task.id],
    );

    // Assert
    for (const response of responses) contract.check('updateTask', response);
    expect(statuses(responses)).toEqual({ 200: 1, 412: 49 });
    const winner = responses.find((response) => response.status === 200);
    expect(rows).toEqual([{ title: winner?.json?.title, version: 2 }]);
    expect(winner?.headers.get('etag')).toBe('"2"');
  });
});

describe('createTask', () => {
  it('creates one row for 20 concurrent POSTs with one Idempotency-Key and answers all of them identically', async () => {
    // Arrange
    const owner = await registerUser(api.client, 'retrier');
    const key = randomUUID();
    const body = { title: 'Exactly once', priority: 'high' };

    // Act
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.client.send(
          jsonRequest('POST', '/tasks', { token: owner.token, body, headers: { 'Idempotency-Key': key } }),
        ),
      ),
    );
    const { rows } = await db.query<{ id: string }>('SELECT id FROM tasks WHERE owner_id = $1', [owner.id]);

    // Assert
    for (const response of responses) contract.check('createTask', response);
    expect(statuses(responses)).toEqual({ 201: 20 });
    expect(rows).toHaveLength(1);
    // Replays are stored as json (not jsonb), so every answer is the first one byte for byte.
    const answers = responses.map(answerOf);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    for (const response of responses) expect(response.text).toBe(responses[0]?.text);
    expect(answers[0]?.body?.id).toBe(rows[0]?.id);
  });
});

describe('registerUser', () => {
  const usersWithSub = async (email: string) =>
    (await db.query<{ id: string }>('SELECT id FROM users WHERE cognito_sub = $1', [localSubject(email)])).rows;

  it('never duplicates a user when the registration is retried one after another', async () => {
    // Arrange
    const email = uniqueEmail('sequential');
    const token = tokenFor(email);

    // Act
    const responses: RawResponse[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      responses.push(await api.client.send(jsonRequest('POST', '/users', { token })));
    }
    const rows = await usersWithSub(email);

    // Assert
    for (const response of responses) contract.check('registerUser', response);
    expect(responses.map((response) => response.status)).toEqual([201, 200, 200, 200, 200]);
    expect(new Set(responses.map((response) => response.json?.id))).toEqual(new Set([rows[0]?.id]));
    expect(rows).toHaveLength(1);
  });

  it('never duplicates a user when 20 registrations of the same caller race (one 201, the rest 200)', async () => {
    // Arrange
    const email = uniqueEmail('concurrent');
    const token = tokenFor(email);

    // Act
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api.client.send(jsonRequest('POST', '/users', { token }))),
    );
    const rows = await usersWithSub(email);

    // Assert
    for (const response of responses) contract.check('registerUser', response);
    expect(statuses(responses)).toEqual({ 200: 19, 201: 1 });
    expect(new Set(responses.map((response) => response.json?.id))).toEqual(new Set([rows[0]?.id]));
    expect(rows).toHaveLength(1);
  });

  it('answers 20 racing registrations that share an Idempotency-Key with the first answer, creating one user', async () => {
    // Arrange
    const email = uniqueEmail('keyed');
    const token = tokenFor(email);
    const key = randomUUID();

    // Act
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.client.send(jsonRequest('POST', '/users', { token, headers: { 'Idempotency-Key': key } })),
      ),
    );
    const rows = await usersWithSub(email);

    // Assert
    for (const response of responses) contract.check('registerUser', response);
    expect(statuses(responses)).toEqual({ 201: 20 });
    const answers = responses.map(answerOf);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(rows).toHaveLength(1);
  });
});
