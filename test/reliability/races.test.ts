/**
 * Races forced, not hoped for: a second connection holds a row lock, the requests under test queue
 * behind it (the API's own sessions seen blocked by the holder's pid, `pg_blocking_pids`), and the
 * lock holder's own change commits first. Each describe has a database no other file shares.
 * Decisions that depend on rows — the role to keep, the last administrator, whether the caller still
 * exists — must be made in the writing statement, on the rows as they are after the wait.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { freshDatabase } from '../support/database.ts';
import { actingAs, buildTask, createTestHandler, type ParsedResponse, uniqueEmail } from '../support/factories.ts';
import { blockedBy, lockHolder, registered } from './support/locks.ts';

type Body = Record<string, unknown>;

/**
 * A migrated database no other test file shares, the API on it and an observer connection: one for
 * the describe, or (`each`) a new one for every test.
 */
function ownDatabase(label: string, { each = false } = {}) {
  const [setUp, tearDown] = each ? [beforeEach, afterEach] : [beforeAll, afterAll];
  const suite = {} as {
    url: string;
    handler: ApiHandler;
    observer: pg.Client;
    drop: () => Promise<void>;
  };
  setUp(async () => {
    const database = await freshDatabase(label);
    Object.assign(suite, {
      url: database.url,
      drop: database.drop,
      handler: createTestHandler({ databaseUrl: database.url }),
      observer: new pg.Client({ connectionString: database.url }),
    });
    await suite.observer.connect();
  });
  tearDown(async () => {
    await suite.observer?.end();
    await suite.handler?.close();
    await suite.drop?.();
  });
  return suite;
}

const statuses = (responses: Array<ParsedResponse<unknown>>) => responses.map((response) => response.status).sort();

describe('races on rows of one user', () => {
  const suite = ownDatabase('races');

  it("updateUser: an administrator's demotion committed while the user's own rename waits leaves the demotion", async () => {
    // Arrange: the target is an administrator; another administrator exists, so the demotion is allowed.
    await registered(suite.handler, 'other-admin', ['admin']);
    const target = await registered(suite.handler, 'demoted', ['admin']);
    const holder = await lockHolder(suite.url);
    await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [target.id]);

    // Act: the rename queues behind the lock; the demotion commits first.
    const rename = target.call<Body>('PUT', `/users/${target.id}`, { body: { name: 'Renamed' } });
    await blockedBy(holder, suite.observer, 1);
    await holder.query("UPDATE users SET role = 'user', version = version + 1 WHERE id = $1", [target.id]);
    await holder.commit();
    const renamed = await rename;

    // Assert
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', role: 'user' });
    const { rows } = await suite.observer.query('SELECT role FROM users WHERE id = $1', [target.id]);
    expect(rows).toEqual([{ role: 'user' }]);
  });

  it.each([
    ['without', {}],
    ['with', { 'Idempotency-Key': randomUUID() }],
  ])(
    'createTask (%s an Idempotency-Key): the owner deleted while the create waits answers 403, not 500',
    async (_case, headers) => {
      // Arrange
      const owner = await registered(suite.handler, 'vanishing');
      const holder = await lockHolder(suite.url);
      await holder.query('DELETE FROM users WHERE id = $1', [owner.id]);

      // Act
      const create = owner.call<Body>('POST', '/tasks', { body: buildTask(), headers });
      await blockedBy(holder, suite.observer, 1);
      await holder.commit();
      const created = await create;

      // Assert
      expect(created.status).toBe(403);
      const { rows } = await suite.observer.query('SELECT count(*)::int AS n FROM tasks WHERE owner_id = $1', [
        owner.id,
      ]);
      expect(rows).toEqual([{ n: 0 }]);
    },
  );

  it('registerUser: an Idempotency-Key reused after the caller deleted themselves registers a new profile, not the deleted one', async () => {
    // Arrange
    const caller = actingAs(suite.handler, uniqueEmail('reborn'));
    const headers = { 'Idempotency-Key': randomUUID() };
    const first = await caller.call<Body>('POST', '/users', { headers });
    expect((await caller.call('DELETE', `/users/${String(first.body.id)}`)).status).toBe(204);

    // Act
    const again = await caller.call<Body>('POST', '/users', { headers });
    const { rows } = await suite.observer.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [
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
    const owner = await registered(suite.handler, 'stuck');
    const headers = { 'Idempotency-Key': randomUUID() };
    const body = { title: 'Claimed by a dead instance' };
    const { rows: subs } = await suite.observer.query<{ sub: string }>(
      'SELECT cognito_sub AS sub FROM users WHERE id = $1',
      [owner.id],
    );
    const stuck = new pg.Client({ connectionString: suite.url });
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

describe('the last administrator', () => {
  // The last administrator is a property of every user row: each test starts on a database of its own.
  const suite = ownDatabase('admins', { each: true });
  const admins = async () =>
    (await suite.observer.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE role = 'admin'")).rows[0]?.n;

  it('when the only two administrators demote themselves at once, one succeeds and the other answers 409', async () => {
    // Arrange
    const ada = await registered(suite.handler, 'ada', ['admin']);
    const bea = await registered(suite.handler, 'bea', ['admin']);
    const holder = await lockHolder(suite.url);
    await holder.query("SELECT 1 FROM users WHERE role = 'admin' FOR UPDATE");

    // Act
    const demotions = [ada, bea].map((admin) =>
      admin.call<Body>('PUT', `/users/${admin.id}`, { body: { name: 'Former admin', role: 'user' } }),
    );
    await blockedBy(holder, suite.observer, 2);
    await holder.commit();
    const responses = await Promise.all(demotions);

    // Assert
    expect(statuses(responses)).toEqual([200, 409]);
    expect(await admins()).toBe(1);
  });

  it('when the last administrator deletes themselves while another is being demoted, one of the two is refused', async () => {
    // Arrange: the only two administrators.
    const cy = await registered(suite.handler, 'cy', ['admin']);
    const dee = await registered(suite.handler, 'dee', ['admin']);
    const holder = await lockHolder(suite.url);
    await holder.query("SELECT 1 FROM users WHERE role = 'admin' FOR UPDATE");

    // Act: cy deletes themselves while cy also demotes the other administrator.
    const requests = [
      cy.call<Body>('DELETE', `/users/${cy.id}`),
      cy.call<Body>('PUT', `/users/${dee.id}`, { body: { name: 'Demoted', role: 'user' } }),
    ];
    await blockedBy(holder, suite.observer, 2);
    await holder.commit();
    const responses = await Promise.all(requests);

    // Assert: whichever ran first, an administrator remains.
    expect(responses.map((response) => response.status).filter((status) => status >= 400)).toHaveLength(1);
    expect(await admins()).toBe(1);
  });
});
