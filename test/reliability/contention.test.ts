/**
 * Contention, forced with row locks held by a second connection and read back from the server's
 * lock state (pg_blocking_pids, a NOWAIT probe, pg_stat_activity), never from timings:
 * - a user's own edit waits only on their own row, never on an administrator's;
 * - a wait that outlasts lock_timeout is a busy 503 (retry), counted as contention, not an outage;
 * - the last-administrator guard counts the administrators as they are when it decides, including
 *   one who registered while the statement waited;
 * - a statement chosen as a deadlock's victim is run once more, and wins.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { freshDatabase } from '../support/database.ts';
import { actingAs, createTestHandler } from '../support/factories.ts';
import { blockedSessions, lockHolder, registered, userRowIsLocked, watchBlockedBy } from './support/locks.ts';

type Body = Record<string, unknown>;
type Caller = Awaited<ReturnType<typeof registered>>;

/** A handler on a database of the describe's own, its EMF documents and log lines kept. */
function isolatedApi(label: string) {
  const state = {
    url: '',
    handler: undefined as unknown as ApiHandler,
    observer: undefined as unknown as pg.Client,
    metrics: [] as Array<Record<string, unknown>>,
    logs: [] as Array<Record<string, unknown>>,
    drop: (): Promise<void> => Promise.resolve(),
  };
  beforeAll(async () => {
    const database = await freshDatabase(label);
    state.url = database.url;
    state.drop = database.drop;
    state.handler = createTestHandler({
      databaseUrl: database.url,
      metricSink: (line) => state.metrics.push(JSON.parse(line) as Record<string, unknown>),
      logSink: (line) => state.logs.push(JSON.parse(line) as Record<string, unknown>),
    });
    state.observer = new pg.Client({ connectionString: database.url });
    await state.observer.connect();
  });
  afterAll(async () => {
    await state.observer.end();
    await state.handler.close();
    await state.drop();
  });
  return state;
}

describe('updateUser and deleteUser under contention', () => {
  const api = isolatedApi('contention');

  it.each([
    ['a rename', (bob: Caller) => bob.call<Body>('PUT', `/users/${bob.id}`, { body: { name: 'Bob Renamed' } })],
    [
      'a change of phone number',
      (bob: Caller) =>
        bob.call<Body>('PUT', `/users/${bob.id}`, { body: { name: 'Bob', phoneNumber: '+15550100123' } }),
    ],
    ['a self-deletion', (bob: Caller) => bob.call<Body>('DELETE', `/users/${bob.id}`)],
  ])(
    "an ordinary user's %s completes while another connection holds every administrator's row lock",
    async (_case, act) => {
      // Arrange: the lock of the reproduction, on every administrator's row.
      const admin = await registered(api.handler, 'admin', ['admin']);
      const bob = await registered(api.handler, 'bob');
      const holder = await lockHolder(api.url);
      await holder.query("SELECT id FROM users WHERE role = 'admin' FOR NO KEY UPDATE");
      const watcher = await watchBlockedBy(api.url, holder.pid);

      // Act
      const response = await act(bob);
      const watched = await watcher.stop();
      const adminStillLocked = await userRowIsLocked(api.observer, admin.id);
      await holder.commit();

      // Assert: answered while the lock was still held, and no session ever queued behind it.
      expect(response.status).toBeLessThan(300);
      expect(adminStillLocked).toBe(true);
      expect(watched.most).toBe(0);
    },
  );

  it('a lock held on the row itself past lock_timeout answers the busy 503 (Retry-After, counted as contention), not the outage 503', async () => {
    // Arrange
    const bob = await registered(api.handler, 'bob');
    const holder = await lockHolder(api.url);
    await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [bob.id]);
    api.metrics.length = 0;

    // Act
    const busy = await bob.call<Body>('PUT', `/users/${bob.id}`, { body: { name: 'Waited' } });
    const stillLocked = await userRowIsLocked(api.observer, bob.id);
    await holder.commit();
    const after = await bob.call<Body>('PUT', `/users/${bob.id}`, { body: { name: 'Free again' } });

    // Assert
    expect(stillLocked).toBe(true);
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(busy.body.detail).toMatch(/busy/i);
    expect(busy.body.detail).not.toMatch(/unavailable/i);
    const counted = api.metrics.filter((document) => '_aws' in document);
    expect(counted).toHaveLength(1);
    expect(counted[0]).toMatchObject({ ServiceUnavailableContention: 1 });
    expect(counted[0]).not.toHaveProperty('ServiceUnavailableDatabase');
    expect(after.status).toBe(200);
  });

  it("an administrator's role change that a deadlock rolls back is run once more and succeeds", async () => {
    // Arrange: the demotion locks both users' rows (lower id first), then the administrator count.
    // `counter` holds the count and will ask for the lower row; `row` holds the higher one. The
    // demotion queues behind `row`, `counter` queues behind the demotion, `row` lets go: the demotion
    // now waits for `counter`, which already waits for it. The demotion closes the cycle, so its own
    // deadlock check (the later one) finds it and rolls it back.
    const admin = await registered(api.handler, 'admin', ['admin']);
    const target = await registered(api.handler, 'target', ['admin']);
    const [lower, higher] = [admin.id, target.id].sort();
    const counter = await lockHolder(api.url);
    await counter.query("SET LOCAL deadlock_timeout = '10s'");
    await counter.query("SET LOCAL lock_timeout = '0'");
    await counter.query('UPDATE administrator_count SET administrators = administrators');
    const row = await lockHolder(api.url);
    await row.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [higher]);
    api.logs.length = 0;
    const rerun = () => api.logs.some((line) => line.code === '40P01');

    // Act: once the first run is rolled back, `counter` gives up (the rerun may have taken the lower
    // row before it, and would otherwise wait for the count behind it).
    const demotion = admin.call<Body>('PUT', `/users/${target.id}`, { body: { name: 'Demoted', role: 'user' } });
    await blockedSessions(api.observer, 1);
    const counterWaits = counter.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [lower]).catch(() => undefined);
    await blockedSessions(api.observer, 2);
    await row.commit();
    for (let tries = 0; !rerun() && tries < 1000; tries += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await api.observer.query('SELECT pg_cancel_backend($1)', [counter.pid]);
    await counterWaits;
    await counter.commit();
    const demoted = await demotion;

    // Assert
    expect(api.logs.filter((line) => line.code === '40P01')).toHaveLength(1);
    expect(demoted.status).toBe(200);
    expect(demoted.body).toMatchObject({ name: 'Demoted', role: 'user' });
  });
});

describe('the last-administrator guard counts the administrators as they are when it decides', () => {
  const api = isolatedApi('lastadmin');
  beforeAll(() => registered(api.handler, 'first', ['admin']));
  const admins = async () =>
    (await api.observer.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE role = 'admin'")).rows[0]?.n;

  it.each([
    [
      'self-demotion',
      (admin: Caller) => admin.call<Body>('PUT', `/users/${admin.id}`, { body: { name: 'Former', role: 'user' } }),
      200,
    ],
    ['self-deletion', (admin: Caller) => admin.call<Body>('DELETE', `/users/${admin.id}`), 204],
  ])(
    "the only administrator's %s that waited while another administrator registered succeeds",
    async (_case, act, expected) => {
      // Arrange: one administrator (the first registered, then the newcomer the previous case left).
      const sole = await soleAdministrator(api.handler, api.observer);
      const holder = await lockHolder(api.url);
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [sole.id]);

      // Act: the request queues behind the lock; a new administrator registers meanwhile; the lock goes.
      const request = act(sole);
      await blockedSessions(api.observer, 1);
      const newcomer = await registered(api.handler, 'newcomer', ['admin']);
      await holder.commit();
      const response = await request;

      // Assert
      expect(response.status).toBe(expected);
      expect(newcomer.id).not.toBe(sole.id);
      expect(await admins()).toBe(1);
    },
  );

  it('the only administrator still cannot demote or delete themselves (409)', async () => {
    // Arrange
    const sole = await soleAdministrator(api.handler, api.observer);

    // Act
    const demoted = await sole.call<Body>('PUT', `/users/${sole.id}`, { body: { name: 'Last', role: 'user' } });
    const deleted = await sole.call<Body>('DELETE', `/users/${sole.id}`);

    // Assert
    expect([demoted.status, deleted.status]).toEqual([409, 409]);
    expect(await admins()).toBe(1);
  });
});

/** The one administrator of the database, as a caller (their token's email is the stored one). */
async function soleAdministrator(handler: ApiHandler, observer: pg.Client): Promise<Caller> {
  const { rows } = await observer.query<{ id: string; email: string }>(
    "SELECT id, email FROM users WHERE role = 'admin'",
  );
  expect(rows).toHaveLength(1);
  const [row] = rows;
  return { ...actingAs(handler, row?.email ?? '', { groups: ['admin'] }), id: row?.id ?? '' };
}
