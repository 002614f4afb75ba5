import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { actingAs, createProxyEvent, createTestHandler, parseResult, uniqueEmail } from '../support/factories.ts';
import type { Problem } from './helpers.ts';

/** Nothing listens on port 1: connections are refused at once. */
const unreachableDatabaseUrl = 'postgres://x:y@127.0.0.1:1/db';

/** An unreachable database must be answered with a 503 at once, not after the Lambda's timeout. */
const failFast = { timeout: 5_000 };

let handler: ApiHandler;
let unreachable: ApiHandler;
let unmigrated: ApiHandler;

beforeAll(() => {
  handler = createTestHandler();
  unreachable = createTestHandler({ databaseUrl: unreachableDatabaseUrl });
  unmigrated = createTestHandler({ databaseUrl: inject('unmigratedDatabaseUrl') });
});

afterAll(async () => {
  await Promise.all([handler.close(), unreachable.close(), unmigrated.close()]);
});

describe('getHealth', failFast, () => {
  it('when the database answers, returns 200 with status ok and database ok, without a token', async () => {
    // Arrange
    const event = createProxyEvent({ method: 'GET', path: '/health' });

    // Act
    const response = parseResult(await handler(event));

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.body).toEqual({ status: 'ok', database: 'ok' });
  });

  it('when the database cannot be reached, returns 503 problem+json with Retry-After', async () => {
    // Arrange
    const event = createProxyEvent({ method: 'GET', path: '/health' });

    // Act
    const response = parseResult<Problem>(await unreachable(event));

    // Assert
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(response.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(JSON.stringify(response.body)).not.toContain('127.0.0.1');
  });
});

describe('database outage', failFast, () => {
  it.each([
    ['registerUser', 'POST', '/users'],
    ['getCurrentUser', 'GET', '/users/me'],
    ['listTasks', 'GET', '/tasks'],
  ])('when the database cannot be reached, %s returns 503 with Retry-After', async (_operationId, method, path) => {
    // Arrange
    const caller = actingAs(unreachable, uniqueEmail('outage'));

    // Act
    const response = await caller.call<Problem>(method, path);

    // Assert
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('when the database cannot be reached, a request that fails validation is still answered 400', async () => {
    // Arrange
    const caller = actingAs(unreachable, uniqueEmail('outage'));

    // Act
    const response = await caller.call<Problem>('GET', '/tasks/not-a-uuid');

    // Assert
    expect(response.status).toBe(400);
  });
});

describe('unexpected errors', () => {
  it('when a query fails for a reason that is not an outage, returns 500 problem+json with a requestId and no internals', async () => {
    // Arrange: the unmigrated database has no tables, so registerUser's INSERT fails
    const caller = actingAs(unmigrated, uniqueEmail('internal'));
    const event = createProxyEvent({ method: 'POST', path: '/users', claims: caller.claims });

    // Act
    const response = parseResult<Problem>(await unmigrated(event));

    // Assert
    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(response.body.requestId).toBe(event.requestContext.requestId);
    const text = JSON.stringify(response.body);
    for (const internal of [
      'relation',
      'does not exist',
      'INSERT',
      'SELECT',
      'idempotency',
      '42P01',
      '.ts:',
      '    at ',
    ]) {
      expect(text).not.toContain(internal);
    }
  });
});
