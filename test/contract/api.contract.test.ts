/**
 * Contract tests: every operation, and every status the spec documents for it, driven over HTTP
 * through the local API Gateway (generated/apigateway.json, real token verification) into the
 * Lambda handler and real PostgreSQL. Every response is validated against generated/openapi.json;
 * the last test fails if any documented (operation, status) pair was never produced.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OperationId, operations } from '../../generated/operations.ts';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { createSecretReader } from '../../handlers/runtime/secrets.ts';
import { type LocalGateway, startLocalGateway } from '../../scripts/local/gateway.ts';
import {
  createLocalVerifier,
  idTokenClaims,
  issueIdToken,
  loadLocalKeySet,
  signJwt,
} from '../../scripts/local/identity.ts';
import { createContract, type ObservedResponse } from '../support/contract.ts';
import { freshDatabase } from '../support/database.ts';
import { buildTask, createTestHandler, type TaskCreate, uniqueEmail } from '../support/factories.ts';
import { operationIds } from '../support/operations.ts';
import {
  documentedStatuses,
  malformedRequest,
  oversizedRequest,
  type SpecRequest,
  validRequest,
  wrongMediaTypeRequest,
} from '../support/spec-requests.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const contract = createContract();
const keys = loadLocalKeySet();
const verifier = createLocalVerifier(keys);

interface Exchange extends ObservedResponse {
  json: Record<string, unknown>;
}

interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Sends one request through a gateway and checks the response against the spec for `operationId`. */
async function call(
  gateway: LocalGateway,
  operationId: string,
  method: string,
  route: string,
  options: RequestOptions = {},
): Promise<Exchange> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${gateway.url}${route}`, { method, headers, body });
  const text = await response.text();
  const observed = { status: response.status, headers: response.headers, text };
  contract.check(operationId, observed);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // 204 and other empty bodies.
  }
  return { ...observed, json };
}

const tokenFor = (email: string, groups?: string[]) => issueIdToken(email, groups ? { groups } : {}, keys);

let handlers: ApiHandler[] = [];
let gateways: LocalGateway[] = [];
let api: LocalGateway;

async function gatewayFor(
  options: { databaseUrl?: string; throttled?: boolean; originVerify?: string } = {},
): Promise<LocalGateway> {
  const originSecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-verify-AbCdEf';
  const handler = createTestHandler({
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.originVerify
      ? {
          env: { ORIGIN_VERIFY_SECRET_ARN: originSecretArn },
          secrets: createSecretReader({
            fetch: async (_arn, stage) => (stage === 'AWSCURRENT' ? options.originVerify : undefined),
          }),
        }
      : {}),
  });
  const gateway = await startLocalGateway({
    handler,
    verifier,
    port: 0,
    ...(options.throttled ? { throttle: { rateLimit: 0, burstLimit: 0 } } : {}),
  });
  handlers.push(handler);
  gateways.push(gateway);
  return gateway;
}

/** Registers a new user over HTTP; returns their token and id. */
async function registered(label: string, groups?: string[]) {
  const email = uniqueEmail(label);
  const token = tokenFor(email, groups);
  const response = await call(api, 'registerUser', 'POST', '/users', { token });
  return { email, token, id: response.json.id as string };
}

async function createdTask(token: string, overrides: Partial<TaskCreate> = {}) {
  const response = await call(api, 'createTask', 'POST', '/tasks', { token, body: buildTask(overrides) });
  return { id: response.json.id as string, etag: response.headers.get('etag') ?? '' };
}

beforeAll(async () => {
  api = await gatewayFor();
});

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await Promise.all(handlers.map((handler) => handler.close()));
  gateways = [];
  handlers = [];
});

describe('workshop flow', () => {
  it('registers, creates, lists, gets, updates and deletes with a token printed by `npm run token`', async () => {
    // Arrange
    const email = uniqueEmail('workshop');
    const token = execFileSync(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), ['scripts/token.ts', email], {
      cwd: projectRoot,
      encoding: 'utf8',
    }).trim();

    // Act
    const registration = await call(api, 'registerUser', 'POST', '/users', { token });
    const created = await call(api, 'createTask', 'POST', '/tasks', {
      token,
      body: { title: 'Ship it', priority: 'high' },
    });
    const taskId = created.json.id as string;
    const listed = await call(api, 'listTasks', 'GET', '/tasks', { token });
    const fetched = await call(api, 'getTask', 'GET', `/tasks/${taskId}`, { token });
    const updated = await call(api, 'updateTask', 'PATCH', `/tasks/${taskId}`, {
      token,
      body: { status: 'done' },
      headers: { 'If-Match': fetched.headers.get('etag') ?? '' },
    });
    const deleted = await call(api, 'deleteTask', 'DELETE', `/tasks/${taskId}`, { token });
    const gone = await call(api, 'getTask', 'GET', `/tasks/${taskId}`, { token });

    // Assert
    expect(token.split('.')).toHaveLength(3);
    expect(registration.status).toBe(201);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/tasks/${taskId}`);
    expect((listed.json.items as Array<{ id: string }>).map((task) => task.id)).toEqual([taskId]);
    expect(fetched.json).toEqual(created.json);
    expect(updated.json.status).toBe('done');
    expect(updated.headers.get('etag')).not.toBe(fetched.headers.get('etag'));
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
  });
});

describe('getHealth', () => {
  it('answers 200 without a token when the database answers', async () => {
    const response = await call(api, 'getHealth', 'GET', '/health');
    expect(response.json).toEqual({ status: 'ok', database: 'ok' });
  });
});

describe('registerUser', () => {
  it('creates the caller on the first call (201) and returns the same profile after (200)', async () => {
    const email = uniqueEmail('register');
    const token = tokenFor(email);
    const first = await call(api, 'registerUser', 'POST', '/users', { token });
    const second = await call(api, 'registerUser', 'POST', '/users', { token });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/users/${first.json.id}`);
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
    expect(first.json).toMatchObject({ email, role: 'user' });
  });

  it('registers a caller whose token carries the Cognito group admin as admin', async () => {
    const response = await call(api, 'registerUser', 'POST', '/users', {
      token: tokenFor(uniqueEmail('admin'), ['admin']),
    });
    expect(response.json.role).toBe('admin');
  });

  it('answers 400 when the ID token has no email claim', async () => {
    const { email: _email, ...claims } = idTokenClaims(uniqueEmail('noemail'));
    const token = signJwt({ kid: keys.kid, alg: 'RS256' }, claims, keys.privateKey);
    const response = await call(api, 'registerUser', 'POST', '/users', { token });
    expect(response.status).toBe(400);
  });

  it('answers 401 with API Gateway’s own body when there is no token', async () => {
    const response = await call(api, 'registerUser', 'POST', '/users');
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ message: 'Unauthorized' });
  });
});

describe('getCurrentUser', () => {
  it('returns the registered caller with an ETag', async () => {
    const alice = await registered('me');
    const response = await call(api, 'getCurrentUser', 'GET', '/users/me', { token: alice.token });
    expect(response.json.id).toBe(alice.id);
    expect(response.headers.get('etag')).toBe('"1"');
  });

  it('answers 403 to a caller who has not registered', async () => {
    const response = await call(api, 'getCurrentUser', 'GET', '/users/me', {
      token: tokenFor(uniqueEmail('stranger')),
    });
    expect(response.status).toBe(403);
  });

  it('answers 401 to a forged token', async () => {
    const token = `${tokenFor(uniqueEmail('forged')).slice(0, -6)}AAAAAA`;
    const response = await call(api, 'getCurrentUser', 'GET', '/users/me', { token });
    expect(response.status).toBe(401);
  });
});

describe('listUsers', () => {
  it('lets an administrator page through users', async () => {
    const admin = await registered('lister', ['admin']);
    const first = await call(api, 'listUsers', 'GET', '/users?limit=1', { token: admin.token });
    const second = await call(api, 'listUsers', 'GET', `/users?limit=1&cursor=${first.json.nextCursor}`, {
      token: admin.token,
    });
    expect(first.json.items).toHaveLength(1);
    expect(second.json.items).not.toEqual(first.json.items);
  });

  it('answers 403 to a non-administrator', async () => {
    const bob = await registered('bob');
    expect((await call(api, 'listUsers', 'GET', '/users', { token: bob.token })).status).toBe(403);
  });

  it('answers 400 to an out-of-range limit', async () => {
    const admin = await registered('lister', ['admin']);
    expect((await call(api, 'listUsers', 'GET', '/users?limit=0', { token: admin.token })).status).toBe(400);
  });

  it('answers 401 without a token', async () => {
    expect((await call(api, 'listUsers', 'GET', '/users')).status).toBe(401);
  });
});

describe('getUser', () => {
  it('returns the caller’s own profile', async () => {
    const alice = await registered('self');
    const response = await call(api, 'getUser', 'GET', `/users/${alice.id}`, { token: alice.token });
    expect(response.json.id).toBe(alice.id);
  });

  it('answers 404, not 403, for another user’s profile', async () => {
    const [alice, bob] = [await registered('alice'), await registered('bob')];
    const response = await call(api, 'getUser', 'GET', `/users/${alice.id}`, { token: bob.token });
    expect(response.status).toBe(404);
  });

  it('answers 400 for a malformed id, 403 before registration and 401 without a token', async () => {
    const alice = await registered('alice');
    expect((await call(api, 'getUser', 'GET', '/users/not-a-uuid', { token: alice.token })).status).toBe(400);
    const stranger = tokenFor(uniqueEmail('stranger'));
    expect((await call(api, 'getUser', 'GET', `/users/${alice.id}`, { token: stranger })).status).toBe(403);
    expect((await call(api, 'getUser', 'GET', `/users/${alice.id}`)).status).toBe(401);
  });
});

describe('getUser, conditionally', () => {
  it('answers 304 with the ETag and no body when If-None-Match names the current version', async () => {
    const alice = await registered('alice');
    const route = `/users/${alice.id}`;
    const response = await call(api, 'getUser', 'GET', route, {
      token: alice.token,
      headers: { 'If-None-Match': '"1"' },
    });
    expect(response.status).toBe(304);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(response.text).toBe('');
  });
});

describe('updateUser', () => {
  it('replaces the caller’s name and phone number and returns a new ETag', async () => {
    const alice = await registered('alice');
    const response = await call(api, 'updateUser', 'PUT', `/users/${alice.id}`, {
      token: alice.token,
      body: { name: 'Alice Smith', phoneNumber: '+14155550100' },
      headers: { 'If-Match': '"1"' },
    });
    expect(response.json).toMatchObject({ name: 'Alice Smith', phoneNumber: '+14155550100' });
    expect(response.headers.get('etag')).toBe('"2"');
  });

  it('answers 412 when If-Match names an old version', async () => {
    const alice = await registered('alice');
    await call(api, 'updateUser', 'PUT', `/users/${alice.id}`, { token: alice.token, body: { name: 'One' } });
    const response = await call(api, 'updateUser', 'PUT', `/users/${alice.id}`, {
      token: alice.token,
      body: { name: 'Two' },
      headers: { 'If-Match': '"1"' },
    });
    expect(response.status).toBe(412);
  });

  it('answers 403 when a non-administrator tries to change their role', async () => {
    const bob = await registered('bob');
    const response = await call(api, 'updateUser', 'PUT', `/users/${bob.id}`, {
      token: bob.token,
      body: { name: 'Bob', role: 'admin' },
    });
    expect(response.status).toBe(403);
  });

  it('answers 404 for another user, 400 for an unknown field, 413 and 415 for unusable bodies, 401 without a token', async () => {
    const [alice, bob] = [await registered('alice'), await registered('bob')];
    const route = `/users/${alice.id}`;
    expect((await call(api, 'updateUser', 'PUT', route, { token: bob.token, body: { name: 'X' } })).status).toBe(404);
    expect(
      (await call(api, 'updateUser', 'PUT', route, { token: alice.token, body: { name: 'A', admin: true } })).status,
    ).toBe(400);
    expect(
      (await call(api, 'updateUser', 'PUT', route, { token: alice.token, body: { name: 'x'.repeat(70_000) } })).status,
    ).toBe(413);
    expect(
      (
        await call(api, 'updateUser', 'PUT', route, {
          token: alice.token,
          rawBody: 'name=A',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(415);
    expect((await call(api, 'updateUser', 'PUT', route, { body: { name: 'A' } })).status).toBe(401);
  });
});

describe('deleteUser', () => {
  it('deletes the caller and their tasks', async () => {
    const alice = await registered('alice');
    await createdTask(alice.token);
    const deleted = await call(api, 'deleteUser', 'DELETE', `/users/${alice.id}`, { token: alice.token });
    const after = await call(api, 'getCurrentUser', 'GET', '/users/me', { token: alice.token });
    expect(deleted.status).toBe(204);
    expect(after.status).toBe(403);
  });

  it('answers 404 for another user’s profile and 400 for a malformed id', async () => {
    const [alice, bob] = [await registered('alice'), await registered('bob')];
    expect((await call(api, 'deleteUser', 'DELETE', `/users/${alice.id}`, { token: bob.token })).status).toBe(404);
    expect((await call(api, 'deleteUser', 'DELETE', '/users/1%27%20OR%201=1', { token: bob.token })).status).toBe(400);
  });

  it('answers 403 before registration and 401 without a token', async () => {
    const alice = await registered('alice');
    const stranger = tokenFor(uniqueEmail('stranger'));
    expect((await call(api, 'deleteUser', 'DELETE', `/users/${alice.id}`, { token: stranger })).status).toBe(403);
    expect((await call(api, 'deleteUser', 'DELETE', `/users/${alice.id}`)).status).toBe(401);
  });
});

describe('the last administrator', () => {
  it('answers 409 to their demotion or deletion of themselves, and 412 to a stale If-Match on deleteUser', async () => {
    const database = await freshDatabase('last_admin');
    try {
      const gateway = await gatewayFor({ databaseUrl: database.url });
      const token = tokenFor(uniqueEmail('only-admin'), ['admin']);
      const { json: admin } = await call(gateway, 'registerUser', 'POST', '/users', { token });
      const route = `/users/${String(admin.id)}`;
      const demoted = await call(gateway, 'updateUser', 'PUT', route, { token, body: { name: 'Ada', role: 'user' } });
      const deleted = await call(gateway, 'deleteUser', 'DELETE', route, { token });
      const stale = await call(gateway, 'deleteUser', 'DELETE', route, { token, headers: { 'If-Match': '"7"' } });
      expect(demoted.status).toBe(409);
      expect(deleted.status).toBe(409);
      expect(stale.status).toBe(412);
    } finally {
      await database.drop().catch(() => undefined);
    }
  });
});

describe('listTasks', () => {
  it('lists only the caller’s tasks, filtered by status', async () => {
    const [alice, bob] = [await registered('alice'), await registered('bob')];
    const done = await createdTask(alice.token, { status: 'done' });
    await createdTask(alice.token, { status: 'todo' });
    await createdTask(bob.token, { status: 'done' });
    const response = await call(api, 'listTasks', 'GET', '/tasks?status=done', { token: alice.token });
    expect((response.json.items as Array<{ id: string }>).map((task) => task.id)).toEqual([done.id]);
  });

  it('answers 403 when a non-administrator asks for another owner, 400 for a bad status, 401 without a token', async () => {
    const [alice, bob] = [await registered('alice'), await registered('bob')];
    expect((await call(api, 'listTasks', 'GET', `/tasks?ownerId=${alice.id}`, { token: bob.token })).status).toBe(403);
    expect((await call(api, 'listTasks', 'GET', '/tasks?status=later', { token: bob.token })).status).toBe(400);
    expect((await call(api, 'listTasks', 'GET', '/tasks')).status).toBe(401);
  });

  it('lets an administrator list another user’s tasks', async () => {
    const [admin, bob] = [await registered('admin', ['admin']), await registered('bob')];
    const task = await createdTask(bob.token);
    const response = await call(api, 'listTasks', 'GET', `/tasks?ownerId=${bob.id}`, { token: admin.token });
    expect((response.json.items as Array<{ id: string }>).map((item) => item.id)).toEqual([task.id]);
  });
});

describe('createTask', () => {
  it('creates a task with defaults, a Location and an ETag', async () => {
    const alice = await registered('alice');
    const response = await call(api, 'createTask', 'POST', '/tasks', { token: alice.token, body: { title: 'Hello' } });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ title: 'Hello', status: 'todo', priority: 'medium', description: '' });
    expect(response.headers.get('etag')).toBe('"1"');
  });

  it('returns the first response to a retried Idempotency-Key and 422 when the key is reused for another body', async () => {
    const alice = await registered('alice');
    const key = randomUUID();
    const body = buildTask();
    const first = await call(api, 'createTask', 'POST', '/tasks', {
      token: alice.token,
      body,
      headers: { 'Idempotency-Key': key },
    });
    const retry = await call(api, 'createTask', 'POST', '/tasks', {
      token: alice.token,
      body,
      headers: { 'Idempotency-Key': key },
    });
    const reused = await call(api, 'createTask', 'POST', '/tasks', {
      token: alice.token,
      body: buildTask(),
      headers: { 'Idempotency-Key': key },
    });
    expect(retry.status).toBe(201);
    expect(retry.json).toEqual(first.json);
    expect(reused.status).toBe(422);
  });

  it('answers 400, 413 and 415 to unusable bodies, 403 before registration and 401 without a token', async () => {
    const alice = await registered('alice');
    const token = alice.token;
    expect((await call(api, 'createTask', 'POST', '/tasks', { token, body: { title: '' } })).status).toBe(400);
    expect(
      (await call(api, 'createTask', 'POST', '/tasks', { token, rawBody: '{"title":', headers: json })).status,
    ).toBe(400);
    expect(
      (
        await call(api, 'createTask', 'POST', '/tasks', {
          token,
          body: { title: 'x', description: 'y'.repeat(70_000) },
        })
      ).status,
    ).toBe(413);
    expect(
      (
        await call(api, 'createTask', 'POST', '/tasks', {
          token,
          rawBody: 'title',
          headers: { 'Content-Type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    const stranger = tokenFor(uniqueEmail('stranger'));
    expect((await call(api, 'createTask', 'POST', '/tasks', { token: stranger, body: buildTask() })).status).toBe(403);
    expect((await call(api, 'createTask', 'POST', '/tasks', { body: buildTask() })).status).toBe(401);
  });
});

const json = { 'Content-Type': 'application/json' };

describe('getTask', () => {
  it('returns the owner’s task and answers 404 to another user', async () => {
    const [alice, bob] = [await registered('alice'), await registered('bob')];
    const task = await createdTask(alice.token);
    expect((await call(api, 'getTask', 'GET', `/tasks/${task.id}`, { token: alice.token })).headers.get('etag')).toBe(
      task.etag,
    );
    expect((await call(api, 'getTask', 'GET', `/tasks/${task.id}`, { token: bob.token })).status).toBe(404);
  });

  it('answers 400 for a malformed id, 403 before registration and 401 without a token', async () => {
    const alice = await registered('alice');
    const task = await createdTask(alice.token);
    expect((await call(api, 'getTask', 'GET', '/tasks/42', { token: alice.token })).status).toBe(400);
    const stranger = tokenFor(uniqueEmail('stranger'));
    expect((await call(api, 'getTask', 'GET', `/tasks/${task.id}`, { token: stranger })).status).toBe(403);
    expect((await call(api, 'getTask', 'GET', `/tasks/${task.id}`)).status).toBe(401);
  });
});

describe('getTask, conditionally', () => {
  it('answers 304 to a list holding the current ETag and 200 to an older one', async () => {
    const alice = await registered('alice');
    const task = await createdTask(alice.token);
    const route = `/tasks/${task.id}`;
    const current = await call(api, 'getTask', 'GET', route, {
      token: alice.token,
      headers: { 'If-None-Match': `"0", ${task.etag}` },
    });
    const older = await call(api, 'getTask', 'GET', route, { token: alice.token, headers: { 'If-None-Match': '"0"' } });
    expect(current.status).toBe(304);
    expect(current.headers.get('etag')).toBe(task.etag);
    expect(current.text).toBe('');
    expect(older.status).toBe(200);
  });
});

describe('updateTask', () => {
  it('changes only the fields sent when If-Match is current, and answers 412 when it is stale', async () => {
    const alice = await registered('alice');
    const task = await createdTask(alice.token, { priority: 'low' });
    const route = `/tasks/${task.id}`;
    const updated = await call(api, 'updateTask', 'PATCH', route, {
      token: alice.token,
      body: { status: 'in_progress' },
      headers: { 'If-Match': task.etag },
    });
    const stale = await call(api, 'updateTask', 'PATCH', route, {
      token: alice.token,
      body: { status: 'done' },
      headers: { 'If-Match': task.etag },
    });
    expect(updated.json).toMatchObject({ status: 'in_progress', priority: 'low' });
    expect(stale.status).toBe(412);
  });

  it('answers 404 to another user, 400 to an empty change, 413/415 to unusable bodies, 403 and 401 to strangers', async () => {
    const [alice, bob] = [await registered('alice'), await registered('bob')];
    const task = await createdTask(alice.token);
    const route = `/tasks/${task.id}`;
    expect((await call(api, 'updateTask', 'PATCH', route, { token: bob.token, body: { status: 'done' } })).status).toBe(
      404,
    );
    expect((await call(api, 'updateTask', 'PATCH', route, { token: alice.token, body: {} })).status).toBe(400);
    expect(
      (await call(api, 'updateTask', 'PATCH', route, { token: alice.token, body: { description: 'z'.repeat(66_000) } }))
        .status,
    ).toBe(413);
    expect(
      (
        await call(api, 'updateTask', 'PATCH', route, {
          token: alice.token,
          rawBody: '<task/>',
          headers: { 'Content-Type': 'application/xml' },
        })
      ).status,
    ).toBe(415);
    const stranger = tokenFor(uniqueEmail('stranger'));
    expect((await call(api, 'updateTask', 'PATCH', route, { token: stranger, body: { status: 'done' } })).status).toBe(
      403,
    );
    expect((await call(api, 'updateTask', 'PATCH', route, { body: { status: 'done' } })).status).toBe(401);
  });
});

describe('deleteTask', () => {
  it('deletes the owner’s task and answers 404 to another user', async () => {
    const [alice, bob] = [await registered('alice'), await registered('bob')];
    const task = await createdTask(alice.token);
    expect((await call(api, 'deleteTask', 'DELETE', `/tasks/${task.id}`, { token: bob.token })).status).toBe(404);
    expect((await call(api, 'deleteTask', 'DELETE', `/tasks/${task.id}`, { token: alice.token })).status).toBe(204);
  });

  it('answers 412 when If-Match is stale and deletes when it is current', async () => {
    const alice = await registered('alice');
    const task = await createdTask(alice.token);
    const route = `/tasks/${task.id}`;
    const stale = await call(api, 'deleteTask', 'DELETE', route, {
      token: alice.token,
      headers: { 'If-Match': '"99"' },
    });
    const current = await call(api, 'deleteTask', 'DELETE', route, {
      token: alice.token,
      headers: { 'If-Match': task.etag },
    });
    expect(stale.status).toBe(412);
    expect(current.status).toBe(204);
  });

  it('answers 400 for a malformed id, 403 before registration and 401 without a token', async () => {
    const alice = await registered('alice');
    const stranger = tokenFor(uniqueEmail('stranger'));
    expect((await call(api, 'deleteTask', 'DELETE', '/tasks/%00', { token: alice.token })).status).toBe(400);
    expect((await call(api, 'deleteTask', 'DELETE', `/tasks/${randomUUID()}`, { token: stranger })).status).toBe(403);
    expect((await call(api, 'deleteTask', 'DELETE', `/tasks/${randomUUID()}`)).status).toBe(401);
  });
});

/** A spec-made request as the sweeps below send it: with `token` where the operation is secured. */
function sweepRequest(request: SpecRequest | undefined, token: string) {
  if (!request) return [];
  const { operationId, method, path: route, body, rawBody, headers } = request;
  return [
    {
      operationId,
      method,
      route,
      ...(operations[operationId].secured ? { token } : {}),
      ...(body === undefined ? {} : { body }),
      ...(rawBody === undefined ? {} : { rawBody }),
      ...(headers ? { headers } : {}),
    },
  ];
}

/** A request each operation accepts, made from the spec (ids need not exist), for the sweeps below. */
const validRequests = (token: string) =>
  operationIds.flatMap((operationId) => sweepRequest(validRequest(operationId), token));

/** Where the operation documents `status`, a request made from the spec to produce it. */
const invalidRequests = (status: number, make: (operationId: OperationId) => SpecRequest | undefined, token: string) =>
  operationIds
    .filter((operationId) => documentedStatuses(operationId).includes(status))
    .flatMap((operationId) => sweepRequest(make(operationId), token));

describe('every operation', () => {
  it('answers 401 with API Gateway’s own body when a secured operation gets no token', async () => {
    for (const { operationId, method, route, token: _token, ...options } of validRequests('')) {
      if (!operations[operationId].secured) continue;
      const response = await call(api, operationId, method, route, options);
      expect(response.status, operationId).toBe(401);
      expect(response.json, operationId).toEqual({ message: 'Unauthorized' });
    }
  });

  it.each([
    [400, malformedRequest],
    [413, oversizedRequest],
    [415, wrongMediaTypeRequest],
  ] as const)(
    'answers %i problem+json to the spec-made request that earns it, where documented',
    async (status, make) => {
      const { token } = await registered('sweeper');
      const requests = invalidRequests(status, make, token);
      for (const { operationId, method, route, ...options } of requests) {
        const response = await call(api, operationId, method, route, options);
        expect(response.status, `${operationId} ${method} ${route}`).toBe(status);
        expect(response.headers.get('content-type'), operationId).toBe('application/problem+json');
      }
      expect(requests.length).toBeGreaterThan(0);
    },
  );

  it('answers 429 problem+json with Retry-After when the stage is throttled', async () => {
    const throttled = await gatewayFor({ throttled: true });
    for (const { operationId, method, route, ...options } of validRequests(tokenFor(uniqueEmail('busy')))) {
      const response = await call(throttled, operationId, method, route, options);
      expect(response.status, operationId).toBe(429);
      expect(response.headers.get('retry-after'), operationId).not.toBeNull();
    }
  });

  it('answers 503 problem+json with Retry-After, quickly, when the database is unreachable', async () => {
    const outage = await gatewayFor({ databaseUrl: 'postgres://taskboard:unused@127.0.0.1:1/taskboard' });
    for (const { operationId, method, route, ...options } of validRequests(tokenFor(uniqueEmail('outage')))) {
      const response = await call(outage, operationId, method, route, options);
      expect(response.status, operationId).toBe(503);
      expect(response.headers.get('retry-after'), operationId).toMatch(/^\d+$/);
    }
  });

  it('answers 500 problem+json with a requestId and no internals when a query fails unexpectedly', async () => {
    const broken = await gatewayFor({ databaseUrl: inject('unmigratedDatabaseUrl') });
    const requests = validRequests(tokenFor(uniqueEmail('broken'))).filter((r) => r.operationId !== 'getHealth');
    for (const { operationId, method, route, ...options } of requests) {
      const response = await call(broken, operationId, method, route, options);
      expect(response.status, operationId).toBe(500);
      expect(response.json.requestId, operationId).toEqual(expect.any(String));
      expect(response.text, operationId).not.toMatch(/relation|SELECT|INSERT|stack|at \//i);
    }
  });

  it('answers 403 problem+json when the origin-verify check is on and the CloudFront header is missing or wrong', async () => {
    const edgeOnly = await gatewayFor({ originVerify: 'the-cloudfront-secret' });
    for (const { operationId, method, route, ...options } of validRequests(tokenFor(uniqueEmail('direct')))) {
      const missing = await call(edgeOnly, operationId, method, route, options);
      const wrong = await call(edgeOnly, operationId, method, route, {
        ...options,
        headers: { 'X-Origin-Verify': 'guess' },
      });
      expect([missing.status, wrong.status], operationId).toEqual([403, 403]);
    }
    const through = await call(edgeOnly, 'getHealth', 'GET', '/health', {
      headers: { 'X-Origin-Verify': 'the-cloudfront-secret' },
    });
    expect(through.status).toBe(200);
  });

  it('answers CORS preflight on every path with the methods it allows', async () => {
    for (const route of Object.keys(contract.document.paths)) {
      const response = await fetch(`${api.url}${route.replace(/\{[^}]+\}/g, randomUUID())}`, { method: 'OPTIONS' });
      expect(response.status, route).toBe(204);
      expect(response.headers.get('access-control-allow-origin'), route).toBe('*');
      expect(response.headers.get('access-control-allow-headers'), route).toContain('If-Match');
    }
  });

  it('answers another method on each documented path with 405 problem+json and Allow, without a token', async () => {
    for (const [operationId, operation] of contract.operations) {
      const route = Object.entries(contract.document.paths).find(([, item]) =>
        Object.values(item).includes(operation),
      )?.[0] as string;
      const documented = ['get', 'put', 'post', 'delete', 'patch'].filter(
        (method) => contract.document.paths[route]?.[method] !== undefined,
      );
      const other = ['put', 'post', 'patch', 'delete', 'get'].find((method) => !documented.includes(method)) ?? '';
      const response = await call(api, operationId, other.toUpperCase(), route.replace(/\{[^}]+\}/g, randomUUID()), {
        headers: { Origin: 'http://spa.test' },
      });
      expect(response.status, operationId).toBe(405);
      expect(response.headers.get('allow'), operationId).toBe(
        [...documented.map((method) => method.toUpperCase()), 'OPTIONS'].join(', '),
      );
      expect(response.headers.get('access-control-allow-origin'), operationId).toBe('*');
    }
  });

  it('answers a preflight on a path the spec does not know, so the browser then shows the real 404', async () => {
    const preflight = await fetch(`${api.url}/projects/1/members`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://spa.test', 'Access-Control-Request-Method': 'DELETE' },
    });
    const actual = await fetch(`${api.url}/projects/1/members`, { method: 'DELETE' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(actual.status).toBe(404);
    expect(actual.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('with a list of allowed origins, echoes a listed Origin on preflights, gateway responses and the function’s answers', async () => {
    const handler = createTestHandler({ env: { CORS_ALLOWED_ORIGINS: 'http://spa.test,http://other.test' } });
    const listed = await startLocalGateway({
      handler,
      verifier,
      port: 0,
      corsAllowedOrigins: ['http://spa.test', 'http://other.test'],
    });
    handlers.push(handler);
    gateways.push(listed);
    const origin = { Origin: 'http://other.test' };
    const preflight = await fetch(`${listed.url}/tasks`, { method: 'OPTIONS', headers: origin });
    const unauthorized = await call(listed, 'listTasks', 'GET', '/tasks', { headers: origin });
    const health = await call(listed, 'getHealth', 'GET', '/health', { headers: origin });
    const stranger = await fetch(`${listed.url}/health`, { headers: { Origin: 'http://evil.test' } });
    for (const response of [preflight, unauthorized, health]) {
      expect(response.headers.get('access-control-allow-origin')).toBe('http://other.test');
      expect(response.headers.get('vary')).toBe('Origin');
    }
    expect(preflight.headers.get('access-control-max-age')).toBe('7200');
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('writes an access line per request, as the stage does, including one its authorizer rejects; never the token', async () => {
    const lines: string[] = [];
    const handler = createTestHandler();
    const logged = await startLocalGateway({ handler, verifier, port: 0, accessLog: (line) => lines.push(line) });
    handlers.push(handler);
    gateways.push(logged);
    const { token } = await registered('access-logged');

    await call(logged, 'listTasks', 'GET', '/tasks', { token });
    await call(logged, 'listTasks', 'GET', '/tasks');
    await new Promise((resolve) => setImmediate(resolve));

    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ httpMethod: 'GET', path: '/tasks', status: 200, requestId: expect.any(String) }),
      expect.objectContaining({ httpMethod: 'GET', path: '/tasks', status: 401 }),
    ]);
    expect(lines.join('\n')).not.toContain(token.split('.')[2]);
  });

  it('answers an unknown route with 404 problem+json, like the deployed gateway', async () => {
    const response = await fetch(`${api.url}/projects`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('was driven through every status the spec documents', () => {
    expect(contract.unexercised()).toEqual([]);
  });
});
