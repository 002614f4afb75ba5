import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { issueIdToken, loadLocalKeySet } from '../../scripts/local/identity.ts';
import { buildClaims, createProxyEvent, createTestHandler, uniqueEmail } from '../support/factories.ts';

let keyDir: string;
let lines: string[];
let handler: ApiHandler;
let unmigrated: ApiHandler;

beforeAll(() => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'taskboard-logging-'));
  lines = [];
  const logSink = (line: string) => lines.push(line);
  handler = createTestHandler({ logSink });
  unmigrated = createTestHandler({ databaseUrl: inject('unmigratedDatabaseUrl'), logSink });
});

afterAll(async () => {
  await Promise.all([handler.close(), unmigrated.close()]);
  rmSync(keyDir, { recursive: true, force: true });
});

/** A request the way the gateway forwards it: the bearer token in the headers, its verified claims beside. */
function authenticatedEvent(email: string, request: { method: string; path: string; body?: unknown }) {
  const token = issueIdToken(email, {}, loadLocalKeySet(path.join(keyDir, 'key.json')));
  const event = createProxyEvent({
    ...request,
    claims: buildClaims(email),
    headers: { Authorization: `Bearer ${token}` },
  });
  return { token, event };
}

const entriesFor = (requestId: string) =>
  lines.map((line) => JSON.parse(line)).filter((entry) => entry.requestId === requestId);

describe('request logs', () => {
  it('when a request is handled, writes a JSON line with its requestId, operationId and status', async () => {
    // Arrange
    const email = uniqueEmail('logged');
    const { event } = authenticatedEvent(email, { method: 'POST', path: '/users' });

    // Act
    await handler(event);

    // Assert
    expect(entriesFor(event.requestContext.requestId)).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'request',
        requestId: event.requestContext.requestId,
        operationId: 'registerUser',
        method: 'POST',
        path: '/users',
        status: 201,
        durationMs: expect.any(Number),
      }),
    );
  });

  it('when a request is rejected, logs its status too', async () => {
    // Arrange
    const { event } = authenticatedEvent(uniqueEmail('rejected'), { method: 'GET', path: '/tasks/not-a-uuid' });

    // Act
    await handler(event);

    // Assert
    expect(entriesFor(event.requestContext.requestId)).toContainEqual(
      expect.objectContaining({ message: 'request', operationId: 'getTask', status: 400 }),
    );
  });

  it('when requests carry a bearer token and a body, no log line contains the token or the body', async () => {
    // Arrange
    const email = uniqueEmail('secretive');
    const secretTitle = `Confidential ${keyDir}`;
    const register = authenticatedEvent(email, { method: 'POST', path: '/users' });
    const create = authenticatedEvent(email, {
      method: 'POST',
      path: '/tasks',
      body: { title: secretTitle, description: 'Private notes' },
    });
    const failing = authenticatedEvent(email, { method: 'POST', path: '/users' });

    // Act
    await handler(register.event);
    await handler(create.event);
    await unmigrated(failing.event);

    // Assert
    const ids = [register, create, failing].map(({ event }) => event.requestContext.requestId);
    expect(ids.map((id) => entriesFor(id).length).every((count) => count > 0)).toBe(true);
    expect(entriesFor(failing.event.requestContext.requestId)).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'unhandled error' }),
    );
    const all = lines.join('\n');
    for (const { token } of [register, create, failing]) {
      expect(all).not.toContain(token);
      expect(all).not.toContain(token.split('.')[2]);
    }
    expect(all).not.toContain('Bearer');
    expect(all).not.toContain(secretTitle);
    expect(all).not.toContain('Private notes');
  });
});
