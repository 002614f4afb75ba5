/**
 * The runtime's connection pool (handlers/runtime/connections.ts) on the test database: its limit,
 * its queue and the queue's deadline, what it does with a broken, failed or long-idle connection,
 * and its end. Through a fault proxy where a connection has to die.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type ConnectionPool, type ConnectionPoolOptions, createConnectionPool } from '#runtime/connections.ts';
import { isUnavailable } from '#runtime/db.ts';
import { type FaultProxy, startFaultProxy } from '#test/fault-proxy.ts';

const pools: ConnectionPool[] = [];
const proxies: FaultProxy[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

interface Opened {
  pool: ConnectionPool;
  /** Every client the pool created, in order. */
  created: pg.Client[];
  idleErrors: Error[];
}

function openPool(overrides: Partial<ConnectionPoolOptions> = {}, url = inject('databaseUrl')): Opened {
  const created: pg.Client[] = [];
  const idleErrors: Error[] = [];
  const pool = createConnectionPool({
    max: 2,
    connectionTimeoutMs: 1000,
    idleTimeoutMs: 60_000,
    client: { connectionString: url, application_name: 'taskboard-pool-test' },
    onIdleError: (error) => idleErrors.push(error),
    onCreate: (client) => created.push(client),
    ...overrides,
  });
  pools.push(pool);
  return { pool, created, idleErrors };
}

async function throughProxy(): Promise<{ proxy: FaultProxy; url: string }> {
  const target = new URL(inject('databaseUrl'));
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
  proxies.push(proxy);
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}

/** A client from `pool`, waiting if need be. */
const take = async (pool: ConnectionPool) => (await pool.acquire()).client;

const answer = async (client: pg.Client) => (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one;

describe('the connection pool', () => {
  it('opens at most `max` connections and hands the next caller the one given back', async () => {
    const { pool, created } = openPool();
    const first = await take(pool);
    const second = await take(pool);
    expect(first).not.toBe(second);
    let third: pg.Client | undefined;
    const waiting = take(pool).then((client) => {
      third = client;
      return client;
    });
    await sleep(50);
    expect(third).toBeUndefined();
    expect(pool.waiting).toBe(1);
    pool.release(second);
    expect(await waiting).toBe(second);
    expect(created).toHaveLength(2);
    expect(await answer(second)).toBe(1);
    pool.release(first);
    pool.release(second);
  });

  it('says when an idle connection was given back, on its own clock, and nothing of a fresh one', async () => {
    let clock = 1_000;
    const { pool } = openPool({ now: () => clock });
    const fresh = await pool.acquire();
    expect(fresh.idleSince).toBeUndefined();
    clock = 5_000;
    pool.release(fresh.client);
    clock = 20_000;
    expect(pool.takeIdle()).toEqual({ client: fresh.client, idleSince: 5_000 });
    pool.release(fresh.client);
    expect((await pool.acquire()).idleSince).toBe(20_000);
  });

  it('hands out the idle connection given back last, without waiting', async () => {
    const { pool } = openPool();
    const first = await take(pool);
    const second = await take(pool);
    pool.release(first);
    pool.release(second);
    expect(pool.takeIdle()?.client).toBe(second);
    expect(pool.takeIdle()?.client).toBe(first);
    expect(pool.takeIdle()?.client).toBeUndefined();
  });

  it('fails a caller that waited the connection timeout with an "unavailable" error, and forgets it', async () => {
    const { pool } = openPool({ max: 1, connectionTimeoutMs: 200 });
    const held = await take(pool);
    const started = performance.now();
    const error = await take(pool).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(isUnavailable(error)).toBe(true);
    expect(pool.waiting).toBe(0);
    // The client given back goes idle, not to the caller who gave up.
    pool.release(held);
    expect(pool.takeIdle()?.client).toBe(held);
    pool.release(held);
  });

  it('replaces a destroyed connection with a fresh one for the caller waiting on it', async () => {
    const { pool, created } = openPool({ max: 1 });
    const broken = await take(pool);
    const waiting = take(pool);
    pool.release(broken, true);
    const fresh = await waiting;
    expect(fresh).not.toBe(broken);
    expect(created).toEqual([broken, fresh]);
    expect(await answer(fresh)).toBe(1);
    pool.release(fresh);
  });

  it('drops an idle connection that dies, reports it, and opens a fresh one next', async () => {
    const { proxy, url } = await throughProxy();
    const { pool, created, idleErrors } = openPool({ max: 1 }, url);
    const first = await take(pool);
    pool.release(first);
    proxy.resetNow();
    await expect.poll(() => idleErrors.length).toBe(1);
    expect(pool.takeIdle()?.client).toBeUndefined();
    const next = await take(pool);
    expect(next).not.toBe(first);
    expect(created).toHaveLength(2);
    expect(await answer(next)).toBe(1);
    pool.release(next);
  });

  it('frees the slot of a connection that could not be opened', async () => {
    const { proxy, url } = await throughProxy();
    const port = proxy.port;
    await proxy.close();
    proxies.splice(0);
    const { pool } = openPool({ max: 1 }, url);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const error = await take(pool).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      // Refused at once each time: a failed open does not leave the only slot taken.
      expect(isUnavailable(error), `attempt ${attempt} on port ${port}`).toBe(true);
    }
    expect(pool.waiting).toBe(0);
  });

  it('closes a connection idle for longer than the idle timeout', async () => {
    const { pool, created } = openPool({ idleTimeoutMs: 100 });
    const client = await take(pool);
    let ended = false;
    client.on('end', () => {
      ended = true;
    });
    pool.release(client);
    await expect.poll(() => ended, { timeout: 2000 }).toBe(true);
    expect(pool.takeIdle()?.client).toBeUndefined();
    const next = await take(pool);
    expect(created).toHaveLength(2);
    expect(await answer(next)).toBe(1);
    pool.release(next);
  });

  it('at its end, fails waiting and later callers, and closes a busy connection when it is given back', async () => {
    const { pool } = openPool({ max: 1 });
    const busy = await take(pool);
    const waiting = take(pool).then(
      () => 'served',
      (error: Error) => error.message,
    );
    await pool.end();
    expect(await waiting).toMatch(/after calling end/);
    await expect(take(pool)).rejects.toThrow(/after calling end/);
    let ended = false;
    busy.on('end', () => {
      ended = true;
    });
    pool.release(busy);
    await expect.poll(() => ended).toBe(true);
  });
});
