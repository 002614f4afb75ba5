/**
 * Races forced, not hoped for: a second connection holds a row lock, the requests under test queue
 * behind it (seen waiting in pg_stat_activity), and the lock holder's own change commits first.
 * Decisions that depend on rows — the role to keep, the last administrator, whether the caller still
 * exists — must be made in the writing statement, on the rows as they are after the wait.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { freshDatabase } from '../support/database.ts';
import { actingAs, buildTask, createTestHandler, type ParsedResponse, uniqueEmail } from '../support/factories.ts';
import { blockedSessions, lockHolder, registered } from './support/locks.ts';

type Body = Record<string, unknown>;

const statuses = (responses: Array<ParsedResponse<unknown>>) => responses.map((response) => response.status).sort();

describe('races on the shared test database', () => {
  const url = inject('databaseUrl');
  const handler = createTestHandler();
  const observer = new pg.Client({ connectionString: url });
  beforeAll(() => observer.connect());
  afterAll(async () => {
    await observer.end();
    await handler.close();
  });

  it("updateUser: an administrator's demotion committed while the user's own rename waits leaves the demotion", async () => {
    // Arrange: the target is an administrator; another administrator exists, so the demotion is allowed.
    await registered(handler, 'other-admin', ['admin']);
    const target = await registered(handler, 'demoted', ['admin']);
    const holder = await lockHolder(url);
    await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [target.id]);

    // Act: the rename queues behind the lock; the demotion commits first.
    const rename = target.call<Body>('PUT', `/users/${target.id}`, { body: { name: 'Renamed' } });
    await blockedSessions(observer, 1);
    await holder.query("UPDATE users SET role = 'user', version = version + 1 WHERE id = $1", [target.id]);
    await holder.commit();
    const renamed = await rename;

    // Assert
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', role: 'user' });
    const { rows } = await observer.query('SELECT role FROM users WHERE id = $1', [target.id]);
    expect(rows).toEqual([{ role: 'user' }]);
  });

  it.each([
    ['without', {}],
    ['with', { 'Idempotency-Key': randomUUID() }],
  ])(
    'createTask (%s an Idempotency-Key): the owner deleted while the create waits answers 403, not 500',
    async (_case, headers) => {
      // Arrange
      const owner = await registered(handler, 'vanishing');
      const holder = await lockHolder(url);
      await holder.query('DELETE FROM users WHERE id = $1', [owner.id]);

      // Act
      const create = owner.call<Body>('POST', '/tasks', { body: buildTask(), headers });
      await blockedSessions(observer, 1);
      await holder.commit();
      const created = await create;

      // Assert
      expect(created.status).toBe(403);
      const { rows } = await observer.query('SELECT count(*)::int AS n FROM tasks WHERE owner_id = $1', [owner.id]);
      expect(rows).toEqual([{ n: 0 }]);
    },
  );

  it('registerUser: an Idempotency-Key reused after the caller deleted themselves registers a new profile, not the deleted one', async () => {
    // Arrange
    const caller = actingAs(handler, uniqueEmail('reborn'));
    const headers = { 'Idempotency-Key': randomUUID() };
    const first = await caller.call<Body>('POST', '/users', { headers });
    expect((await caller.call('DELETE', `/users/${String(first.body.id)}`)).status).toBe(204);

    // Act
    const again = await caller.call<Body>('POST', '/users', { headers });
    const { rows } = await observer.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [
      headers['Idempotency-Key'],
    ]);

    // Assert
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
    expect((await caller.call('GET', '/users/me')).status).toBe(200);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('createTask: a retry while a stuck session holds the claimed key answers 503 within lock_timeout, and succeeds once the server reclaims it', async () => {
    // Arrange: a session claimed the key and then went idle in its transaction (an instance that died mid-way).
    const owner = await registered(handler, 'stuck');
    const headers = { 'Idempotency-Key': randomUUID() };
    const body = { title: 'Claimed by a dead instance' };
    const { rows: subs } = await observer.query<{ sub: string }>('SELECT cognito_sub AS sub FROM users WHERE id = $1', [
      owner.id,
    ]);
    const stuck = new pg.Client({ connectionString: url });
    await stuck.connect();
    stuck.on('error', () => undefined);
    await stuck.query('BEGIN');
    await stuck.query(
      "INSERT INTO idempotency_keys (scope, operation_id, key, fingerprint) VALUES ($1, 'createTask', $2, 'x')",
      [subs[0]?.sub, headers['Idempotency-Key']],
    );

    // Act
    const started = performance.now();
    const blocked = await owner.call<Body>('POST', '/tasks', { headers, body });
    const blockedMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5500));
    const retried = await owner.call<Body>('POST', '/tasks', { headers, body });

    // Assert
    expect(blocked.status).toBe(503);
    expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
    expect(blockedMs).toBeLessThan(4000);
    expect(retried.status).toBe(201);
    await stuck.end().catch(() => undefined);
  }, 20_000);
});

describe('the last administrator, on a database of its own', () => {
  let database: { url: string; drop: () => Promise<void> };
  let handler: ApiHandler;
  let observer: pg.Client;
  beforeAll(async () => {
    database = await freshDatabase('admins');
    handler = createTestHandler({ databaseUrl: database.url });
    observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
  });
  afterAll(async () => {
    await observer.end();
    await handler.close();
    await database.drop();
  });
  const admins = async () =>
    (await observer.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE role = 'admin'")).rows[0]?.n;

  it('when the only two administrators demote themselves at once, one succeeds and the other answers 409', async () => {
    // Arrange
    const [ada, bea] = [await registered(handler, 'ada', ['admin']), await registered(handler, 'bea', ['admin'])];
    const holder = await lockHolder(database.url);
    await holder.query("SELECT 1 FROM users WHERE role = 'admin' FOR UPDATE");

    // Act
    const demotions = [ada, bea].map((admin) =>
      admin.call<Body>('PUT', `/users/${admin.id}`, { body: { name: 'Former admin', role: 'user' } }),
    );
    await blockedSessions(observer, 2);
    await holder.commit();
    const responses = await Promise.all(demotions);

    // Assert
    expect(statuses(responses)).toEqual([200, 409]);
    expect(await admins()).toBe(1);
  });

  it('when the last administrator deletes themselves while another is being demoted, one of the two is refused', async () => {
    // Arrange: two administrators, as the previous test left one plus this new one.
    const [cy] = [await registered(handler, 'cy', ['admin'])];
    const { rows } = await observer.query<{ id: string }>("SELECT id FROM users WHERE role = 'admin' AND id <> $1", [
      cy.id,
    ]);
    const other = rows[0]?.id ?? '';
    const holder = await lockHolder(database.url);
    await holder.query("SELECT 1 FROM users WHERE role = 'admin' FOR UPDATE");

    // Act: cy deletes themselves while cy also demotes the other administrator.
    const requests = [
      cy.call<Body>('DELETE', `/users/${cy.id}`),
      cy.call<Body>('PUT', `/users/${other}`, { body: { name: 'Demoted', role: 'user' } }),
    ];
    await blockedSessions(observer, 2);
    await holder.commit();
    const responses = await Promise.all(requests);

    // Assert: whichever ran first, an administrator remains.
    expect(responses.map((response) => response.status).filter((status) => status >= 400)).toHaveLength(1);
    expect(await admins()).toBe(1);
  });
});
