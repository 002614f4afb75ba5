/**
 * The process's PostgreSQL connections: at most `max` pg clients, the one given back last handed
 * out first, callers queued for at most `connectionTimeoutMs` while all are busy, idle ones closed
 * after `idleTimeoutMs`.
 *
 * This is what pg-pool does, cut to what db.ts uses, for two reasons. A Lambda instance runs one
 * invocation at a time, so its "pool" is one connection, and pg-pool's per-checkout work (a
 * promise, two events and an idle timer set and cleared for every statement) is pure overhead on
 * the hot path. And pg-pool falls back to `require('pg')`, which puts pg's index and its native
 * client into every bundle; importing pg's Client alone keeps them out (about 15 kB minified).
 */

import type pg from 'pg';
import Client from 'pg/lib/client.js';

export interface ConnectionPoolOptions {
  max: number;
  connectionTimeoutMs: number;
  idleTimeoutMs: number;
  client: pg.ClientConfig;
  /** Wall-clock milliseconds: what a checkout's `idleSince` is read from. Defaults to Date.now. */
  now?: () => number;
  /** An idle connection failed; it has been dropped from the pool. */
  onIdleError: (error: Error) => void;
  /** Each new client, before it connects (listeners). */
  onCreate?: (client: pg.Client) => void;
}

/** A client handed out, with when it was given back if it comes from the idle ones. */
export interface Checkout {
  client: pg.Client;
  /** `now()` at its last release: the caller decides whether it idled too long to trust. */
  idleSince?: number;
}

export interface ConnectionPool {
  /** An idle client without waiting, if there is one. */
  takeIdle(): Checkout | undefined;
  /** A client: an idle one, a new one while fewer than `max` exist, or the next one given back. */
  acquire(): Promise<Checkout>;
  /** Gives `client` back, or closes it for good (`destroy`: its connection is broken). */
  release(client: pg.Client, destroy?: boolean): void;
  /** Callers waiting for a client. */
  readonly waiting: number;
  /** Refuses further checkouts, closes idle clients now and busy ones when they are given back. */
  end(): Promise<void>;
}

interface Waiter {
  resolve: (checkout: Checkout) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A wait for a busy pool that ran out: pg-pool's wording, which `isUnavailable` (db.ts) recognises. */
const connectTimeout = () => new Error('timeout exceeded when trying to connect');
const poolEnded = () => new Error('Cannot use a pool after calling end on the pool');

export function createConnectionPool(options: ConnectionPoolOptions): ConnectionPool {
  const now = options.now ?? Date.now;
  /** The idle clients, oldest first: the last one given back is handed out first. */
  const idle: Array<{ client: pg.Client; idleSince: number }> = [];
  const waiters: Waiter[] = [];
  /** Clients open or opening, busy or idle. */
  let size = 0;
  let ended = false;
  let sweep: NodeJS.Timeout | undefined;

  const close = (client: pg.Client) => {
    size -= 1;
    client.end().catch(() => undefined);
  };

  const dropIdle = (client: pg.Client) => {
    const at = idle.findIndex((entry) => entry.client === client);
    if (at === -1) return false;
    idle.splice(at, 1);
    return true;
  };

  const open = async (): Promise<Checkout> => {
    // pg's own connect deadline: it covers the TCP connect, TLS, the password callback and the login.
    const client = new Client({ ...options.client, connectionTimeoutMillis: options.connectionTimeoutMs }) as pg.Client;
    client.on('error', (error) => {
      if (dropIdle(client)) {
        close(client);
        options.onIdleError(error);
      }
    });
    client.on('end', () => {
      if (dropIdle(client)) size -= 1;
    });
    options.onCreate?.(client);
    try {
      await client.connect();
      return { client };
    } catch (error) {
      close(client);
      serveWaiters();
      throw error;
    }
  };

  /** Opens connections for queued callers while there is room. */
  const serveWaiters = () => {
    while (waiters.length > 0 && size < options.max && !ended) {
      const waiter = waiters.shift() as Waiter;
      clearTimeout(waiter.timer);
      size += 1;
      open().then(waiter.resolve, waiter.reject);
    }
  };

  const closeLongIdle = () => {
    sweep = undefined;
    const at = now();
    // Oldest first: close from the bottom while the client has idled long enough.
    while (idle[0] && at - idle[0].idleSince >= options.idleTimeoutMs) close((idle.shift() as Checkout).client);
    if (idle[0]) scheduleSweep(options.idleTimeoutMs - (at - idle[0].idleSince));
  };
  const scheduleSweep = (delay: number) => {
    sweep ??= setTimeout(closeLongIdle, Math.max(delay, 0)).unref();
  };

  return {
    takeIdle: () => idle.pop(),
    acquire() {
      if (ended) return Promise.reject(poolEnded());
      const checkout = idle.pop();
      if (checkout) return Promise.resolve(checkout);
      if (size < options.max) {
        size += 1;
        return open();
      }
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.splice(waiters.indexOf(waiter), 1);
            reject(connectTimeout());
          }, options.connectionTimeoutMs),
        };
        waiters.push(waiter);
      });
    },
    release(client, destroy = false) {
      if (destroy || ended) {
        close(client);
        serveWaiters();
        return;
      }
      const waiter = waiters.shift();
      if (waiter) {
        clearTimeout(waiter.timer);
        waiter.resolve({ client });
        return;
      }
      idle.push({ client, idleSince: now() });
      scheduleSweep(options.idleTimeoutMs);
    },
    get waiting() {
      return waiters.length;
    },
    async end() {
      ended = true;
      clearTimeout(sweep);
      for (const waiter of waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(poolEnded());
      }
      const closing = idle.splice(0);
      size -= closing.length;
      await Promise.all(closing.map(({ client }) => client.end().catch(() => undefined)));
    },
  };
}
