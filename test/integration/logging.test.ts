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
let debugHandler: ApiHandler;
let unmigrated: ApiHandler;

beforeAll(() => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'taskboard-logging-'));
  lines = [];
  const logSink = (line: string) => lines.push(line);
  handler = createTestHandler({ logSink });
  // The most a deployment can log: what must never appear in a line, must not appear here either.
  debugHandler = createTestHandler({ logSink, env: { LOG_LEVEL: 'debug' } });
  unmigrated = createTestHandler({
    databaseUrl: inject('unmigratedDatabaseUrl'),
    logSink,
    env: { LOG_LEVEL: 'debug' },
  });
});

afterAll(async () => {
  await Promise.all([handler.close(), debugHandler.close(), unmigrated.close()]);
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
  it('at the default level (info), a success writes no line: the stage’s access log records it', async () => {
    // Arrange
    const { event } = authenticatedEvent(uniqueEmail('quiet'), { method: 'POST', path: '/users' });

    const before = lines.length;

    // Act
    const result = await handler(event);

    // Assert: no line at all, with this requestId or without one.
    expect(result.statusCode).toBe(201);
    expect(lines.slice(before)).toEqual([]);
  });

  it('at LOG_LEVEL=debug, every request writes a JSON line with its requestId, operationId and status', async () => {
    // Arrange
    const email = uniqueEmail('logged');
    const { event } = authenticatedEvent(email, { method: 'POST', path: '/users' });

    // Act
    await debugHandler(event);

    // Assert
    expect(entriesFor(event.requestContext.requestId)).toContainEqual(
      expect.objectContaining({
        level: 'debug',
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

  it('when a request is rejected, logs it at info with its status', async () => {
    // Arrange
    const { event } = authenticatedEvent(uniqueEmail('rejected'), { method: 'GET', path: '/tasks/not-a-uuid' });

    // Act
    await handler(event);

    // Assert
    expect(entriesFor(event.requestContext.requestId)).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'request', operationId: 'getTask', status: 400 }),
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
    await debugHandler(register.event);
    await debugHandler(create.event);
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
