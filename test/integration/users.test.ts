import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { encodeCursor } from '../../handlers/runtime/http.ts';
import { actingAs, buildClaims, createProxyEvent, parseResult, uniqueEmail } from '../support/factories.ts';
import {
  allPages,
  closeSuite,
  countTasks,
  createdTask,
  openSuite,
  type Problem,
  registeredCaller,
  type User,
  userRow,
} from './helpers.ts';

let handler: ApiHandler;
let db: pg.Pool;

beforeAll(() => {
  ({ handler, db } = openSuite());
});

afterAll(() => closeSuite({ handler, db }));

const usersWithSub = async (sub: string | undefined) =>
  (await db.query('SELECT id FROM users WHERE cognito_sub = $1', [sub])).rows.length;

describe('registerUser', () => {
  it('when the caller registers for the first time, returns 201 with Location, ETag and the profile from the token', async () => {
    // Arrange
    const caller = actingAs(handler, uniqueEmail('first'));

    // Act
    const response = await caller.call<User>('POST', '/users');

    // Assert
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      email: caller.email,
      name: caller.claims.name,
      phoneNumber: null,
      role: 'user',
    });
    expect(response.headers.location).toBe(`/users/${response.body.id}`);
    expect(response.headers.etag).toBe('"1"');
    expect(await usersWithSub(caller.claims.sub)).toBe(1);
  });

  it('when the caller registers again, returns 200 with the same profile and no new row', async () => {
    // Arrange
    const caller = actingAs(handler, uniqueEmail('again'));
    const first = await caller.call<User>('POST', '/users');

    // Act
    const second = await caller.call<User>('POST', '/users');

    // Assert
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers.location).toBeUndefined();
    expect(await usersWithSub(caller.claims.sub)).toBe(1);
  });

  it('when the token carries the Cognito group admin, registers the caller as admin', async () => {
    // Arrange
    const caller = actingAs(handler, uniqueEmail('admin'), { groups: ['admin'] });

    // Act
    const response = await caller.call<User>('POST', '/users');

    // Assert
    expect(response.status).toBe(201);
    expect(response.body.role).toBe('admin');
  });

  it('when the token carries other groups only, registers the caller as user', async () => {
    // Arrange
    const caller = actingAs(handler, uniqueEmail('editor'), { groups: ['editors', 'administrators'] });

    // Act
    const response = await caller.call<User>('POST', '/users');

    // Assert
    expect(response.body.role).toBe('user');
  });

  it('when a registered user later gets the admin group in their token, keeps the role stored at registration', async () => {
    // Arrange
    const email = uniqueEmail('late-admin');
    await actingAs(handler, email).call('POST', '/users');

    // Act
    const response = await actingAs(handler, email, { groups: ['admin'] }).call<User>('POST', '/users');

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.role).toBe('user');
  });

  it('when the token has a phone_number claim, stores it', async () => {
    // Arrange
    const claims = buildClaims(uniqueEmail('phone'), { phoneNumber: '+14155550123' });

    // Act
    const response = parseResult<User>(await handler(createProxyEvent({ method: 'POST', path: '/users', claims })));

    // Assert
    expect(response.status).toBe(201);
    expect(response.body.phoneNumber).toBe('+14155550123');
  });

  it('when a retry carries the same Idempotency-Key, returns the identical first response (201) and creates one row', async () => {
    // Arrange
    const caller = actingAs(handler, uniqueEmail('idempotent'));
    const headers = { 'Idempotency-Key': randomUUID() };
    const first = await caller.call<User>('POST', '/users', { headers });

    // Act
    const retry = await caller.call<User>('POST', '/users', { headers });

    // Assert
    expect(first.status).toBe(201);
    expect(retry).toEqual(first);
    expect(await usersWithSub(caller.claims.sub)).toBe(1);
  });

  it('when the token has no email claim, returns 400 problem+json and registers nobody', async () => {
    // Arrange
    const { email: _email, ...claims } = buildClaims(uniqueEmail('no-email'));

    // Act
    const response = parseResult<Problem>(await handler(createProxyEvent({ method: 'POST', path: '/users', claims })));

    // Assert
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body.errors).toEqual([{ path: '/headers/Authorization', message: expect.any(String) }]);
    expect(await usersWithSub(claims.sub)).toBe(0);
  });

  it('when the function is reached without authorizer claims, returns 401 problem+json', async () => {
    // Arrange
    const event = createProxyEvent({ method: 'POST', path: '/users' });

    // Act
    const response = parseResult<Problem>(await handler(event));

    // Assert
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });
});

describe('getCurrentUser', () => {
  it('when the caller is registered, returns 200 with their profile and its ETag', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'me');

    // Act
    const response = await caller.call<User>('GET', '/users/me');

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toEqual(caller.user);
    expect(response.headers.etag).toBe('"1"');
  });

  it('when the caller has not registered, returns 403 problem+json', async () => {
    // Arrange
    const stranger = actingAs(handler, uniqueEmail('unregistered'));

    // Act
    const response = await stranger.call<Problem>('GET', '/users/me');

    // Assert
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 403, title: 'Forbidden' });
  });
});

describe('listUsers', () => {
  it('when an admin pages through users, sees each user exactly once, in keyset order (createdAt, id), in pages of at most limit', async () => {
    // Arrange
    const admin = await registeredCaller(handler, 'lister', { groups: ['admin'] });
    const created: string[] = [admin.id];
    for (let index = 0; index < 5; index += 1) created.push((await registeredCaller(handler, 'listed')).id);
    const limit = 4;

    // Act
    const pages = await allPages<User>(admin, '/users', { limit: String(limit) });

    // Assert
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(limit);
    }
    expect(pages.at(-1)?.body.nextCursor).toBeNull();
    const seen = pages.flatMap((page) => page.body.items);
    const ids = seen.map((user) => user.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => created.includes(id)).sort()).toEqual([...created].sort());
    // Keyset order is (createdAt, id): createdAt has millisecond precision, so users made in the same
    // millisecond come back in id order, not necessarily in the order they were created.
    const keys = seen.map((user) => `${user.createdAt} ${user.id}`);
    expect(keys).toEqual([...keys].sort());
  });

  it('when the caller is not an admin, returns 403', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'not-admin');

    // Act
    const response = await caller.call<Problem>('GET', '/users');

    // Assert
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['a forged pair with SQL as its id', encodeCursor({ createdAt: '2026-01-01T00:00:00.000Z', id: "' OR '1'='1" })],
    ['a forged pair with a bad timestamp', encodeCursor({ createdAt: 'yesterday', id: randomUUID() })],
  ])('when the cursor is %s, returns 400 pointing at the cursor', async (_case, cursor) => {
    // Arrange
    const admin = await registeredCaller(handler, 'cursor-admin', { groups: ['admin'] });

    // Act
    const response = await admin.call<Problem>('GET', '/users', { query: { cursor } });

    // Assert
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error) => error.path)).toEqual(['/query/cursor']);
  });
});

describe('getUser', () => {
  it('when the caller asks for their own profile, returns 200 with it and its ETag', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'self');

    // Act
    const response = await caller.call<User>('GET', `/users/${caller.id}`);

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toEqual(caller.user);
    expect(response.headers.etag).toBe('"1"');
  });

  it('when a non-admin asks for another user’s profile, returns 404 (not 403)', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const other = await registeredCaller(handler, 'other');

    // Act
    const response = await other.call<Problem>('GET', `/users/${owner.id}`);

    // Assert
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });

  it('when an admin asks for another user’s profile, returns 200 with it', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'owner');
    const admin = await registeredCaller(handler, 'admin', { groups: ['admin'] });

    // Act
    const response = await admin.call<User>('GET', `/users/${owner.id}`);

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toEqual(owner.user);
  });

  it('when an admin asks for an id no user has, returns 404', async () => {
    // Arrange
    const admin = await registeredCaller(handler, 'admin', { groups: ['admin'] });

    // Act
    const response = await admin.call<Problem>('GET', `/users/${randomUUID()}`);

    // Assert
    expect(response.status).toBe(404);
  });

  it('when the id is not a UUID, returns 400 pointing at /path/userId', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'malformed');

    // Act
    const response = await caller.call<Problem>('GET', '/users/12345');

    // Assert
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error) => error.path)).toEqual(['/path/userId']);
  });
});

describe('updateUser', () => {
  it('when the caller updates their own name and phone number, returns 200 with a new ETag and stores them', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'rename');

    // Act
    const response = await caller.call<User>('PUT', `/users/${caller.id}`, {
      body: { name: 'Renamed', phoneNumber: '+442079460000' },
    });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: caller.id, name: 'Renamed', phoneNumber: '+442079460000', role: 'user' });
    expect(response.headers.etag).toBe('"2"');
    expect(await userRow(db, caller.id)).toMatchObject({ name: 'Renamed', phone_number: '+442079460000', version: 2 });
  });

  it('when the body leaves out phoneNumber, clears it', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'clear-phone');
    await caller.call('PUT', `/users/${caller.id}`, { body: { name: 'Has phone', phoneNumber: '+14155550100' } });

    // Act
    const response = await caller.call<User>('PUT', `/users/${caller.id}`, { body: { name: 'No phone' } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.phoneNumber).toBeNull();
    expect((await userRow(db, caller.id))?.phone_number).toBeNull();
  });

  it('when a non-admin updates another user’s profile, returns 404 and changes nothing', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'victim');
    const other = await registeredCaller(handler, 'intruder');
    const before = await userRow(db, owner.id);

    // Act
    const response = await other.call<Problem>('PUT', `/users/${owner.id}`, { body: { name: 'Hacked' } });

    // Assert
    expect(response.status).toBe(404);
    expect(await userRow(db, owner.id)).toEqual(before);
  });

  it('when a non-admin tries to make themselves admin, returns 403 and the stored role stays user', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'climber');

    // Act
    const response = await caller.call<Problem>('PUT', `/users/${caller.id}`, {
      body: { name: caller.user.name, role: 'admin' },
    });

    // Assert
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await userRow(db, caller.id)).toMatchObject({ role: 'user', version: 1 });
    expect((await caller.call('GET', '/users')).status).toBe(403);
  });

  it('when a non-admin sends their current role unchanged, returns 200', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'same-role');

    // Act
    const response = await caller.call<User>('PUT', `/users/${caller.id}`, { body: { name: 'Same', role: 'user' } });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.role).toBe('user');
  });

  it('when an admin promotes another user, stores the role and the user gains admin access', async () => {
    // Arrange
    const admin = await registeredCaller(handler, 'promoter', { groups: ['admin'] });
    const user = await registeredCaller(handler, 'promoted');

    // Act
    const response = await admin.call<User>('PUT', `/users/${user.id}`, {
      body: { name: user.user.name, role: 'admin' },
    });

    // Assert
    expect(response.status).toBe(200);
    expect(response.body.role).toBe('admin');
    expect((await userRow(db, user.id))?.role).toBe('admin');
    expect((await user.call('GET', '/users')).status).toBe(200);
  });

  it('when If-Match is stale, returns 412 and leaves the row unchanged', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'stale');
    await caller.call('PUT', `/users/${caller.id}`, { body: { name: 'Second version' } });
    const before = await userRow(db, caller.id);

    // Act
    const response = await caller.call<Problem>('PUT', `/users/${caller.id}`, {
      headers: { 'If-Match': '"1"' },
      body: { name: 'Lost update' },
    });

    // Assert
    expect(response.status).toBe(412);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(await userRow(db, caller.id)).toEqual(before);
  });

  it('when If-Match is the current ETag, returns 200 with the next ETag', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'fresh');
    const current = await caller.call('GET', '/users/me');

    // Act
    const response = await caller.call<User>('PUT', `/users/${caller.id}`, {
      headers: { 'If-Match': current.headers.etag ?? '' },
      body: { name: 'Fresh update' },
    });

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('"2"');
    expect(response.body.name).toBe('Fresh update');
  });

  it.each([
    ['an unknown field', { name: 'X', email: 'takeover@example.com' }, '/body/email'],
    ['no name', { phoneNumber: '+14155550100' }, '/body/name'],
    ['a phone number that is not E.164', { name: 'X', phoneNumber: '555-0100' }, '/body/phoneNumber'],
    ['an unknown role', { name: 'X', role: 'root' }, '/body/role'],
  ])('when the body has %s, returns 400 and changes nothing', async (_case, body, path) => {
    // Arrange
    const caller = await registeredCaller(handler, 'invalid-update');
    const before = await userRow(db, caller.id);

    // Act
    const response = await caller.call<Problem>('PUT', `/users/${caller.id}`, { body });

    // Assert
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error) => error.path)).toContain(path);
    expect(await userRow(db, caller.id)).toEqual(before);
  });
});

describe('deleteUser', () => {
  it('when the caller deletes themselves, returns 204 and deletes their profile and their tasks', async () => {
    // Arrange
    const caller = await registeredCaller(handler, 'leaver');
    await createdTask(caller);
    await createdTask(caller);

    // Act
    const response = await caller.call('DELETE', `/users/${caller.id}`);

    // Assert
    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
    expect(await userRow(db, caller.id)).toBeUndefined();
    expect(await countTasks(db, caller.id)).toBe(0);
    expect((await caller.call('GET', '/users/me')).status).toBe(403);
  });

  it('when a non-admin deletes another user, returns 404 and the user and their tasks remain', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'target');
    await createdTask(owner);
    const other = await registeredCaller(handler, 'deleter');

    // Act
    const response = await other.call<Problem>('DELETE', `/users/${owner.id}`);

    // Assert
    expect(response.status).toBe(404);
    expect(await userRow(db, owner.id)).toBeDefined();
    expect(await countTasks(db, owner.id)).toBe(1);
  });

  it('when an admin deletes another user, returns 204 and deletes them with their tasks', async () => {
    // Arrange
    const owner = await registeredCaller(handler, 'removed');
    await createdTask(owner);
    const admin = await registeredCaller(handler, 'remover', { groups: ['admin'] });

    // Act
    const response = await admin.call('DELETE', `/users/${owner.id}`);

    // Assert
    expect(response.status).toBe(204);
    expect(await userRow(db, owner.id)).toBeUndefined();
    expect(await countTasks(db, owner.id)).toBe(0);
  });

  it('when an admin deletes an id no user has, returns 404', async () => {
    // Arrange
    const admin = await registeredCaller(handler, 'admin', { groups: ['admin'] });

    // Act
    const response = await admin.call<Problem>('DELETE', `/users/${randomUUID()}`);

    // Assert
    expect(response.status).toBe(404);
  });
});
