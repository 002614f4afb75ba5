/**
 * Forcing races with row locks: a second connection that holds locks until told to commit, and
 * sensors that read the lock state from the server (pg_stat_activity, pg_blocking_pids, a NOWAIT
 * probe) instead of guessing it from timings.
 */
import pg from 'pg';
import { expect } from 'vitest';
import type { ApiHandler } from '../../../handlers/runtime/api-handler.ts';
import { actingAs, uniqueEmail } from '../../support/factories.ts';

type Body = Record<string, unknown>;

/** A registered caller of `handler`, with their user id. */
export async function registered(handler: ApiHandler, label: string, groups?: string[]) {
  const caller = actingAs(handler, uniqueEmail(label), groups ? { groups } : {});
  const response = await caller.call<Body>('POST', '/users');
  expect(response.status).toBe(201);
  return { ...caller, id: String(response.body.id) };
}

/** Waits until `count` sessions of the database wait on a lock (the requests are queued behind the holder). */
export async function blockedSessions(observer: pg.Client, count: number): Promise<void> {
  for (let tries = 0; tries < 200; tries += 1) {
    const { rows } = await observer.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    if ((rows[0]?.n ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${count} sessions never waited on a lock`);
}

/** A connection of the test's own, holding locks in an open transaction until `commit()`. */
export async function lockHolder(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  const {
    rows: [backend],
  } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return {
    /** The holder's server process: what pg_blocking_pids names when it blocks a session. */
    pid: backend?.pid ?? 0,
    query: (text: string, values?: unknown[]) => client.query(text, values),
    commit: async () => {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

/**
 * Watches, until `stop()`, for any session that `pid` blocks (pg_blocking_pids, sampled back to back
 * on a connection of its own); `stop()` resolves to the most sessions seen blocked at once.
 */
export async function watchBlockedBy(url: string, pid: number) {
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  let watching = true;
  let most = 0;
  let samples = 0;
  const loop = (async () => {
    while (watching) {
      const { rows } = await watcher.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))',
        [pid],
      );
      samples += 1;
      most = Math.max(most, rows[0]?.n ?? 0);
    }
  })();
  return {
    stop: async () => {
      watching = false;
      await loop;
      await watcher.end();
      return { most, samples };
    },
  };
}

/**
 * Whether some other transaction holds a lock on the `users` row `id`: a NOWAIT probe that would take
 * it, rolled back either way.
 */
export async function userRowIsLocked(observer: pg.Client, id: string): Promise<boolean> {
  await observer.query('BEGIN');
  try {
    await observer.query('SELECT 1 FROM users WHERE id = $1 FOR SHARE NOWAIT', [id]);
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return true;
    throw error;
  } finally {
    await observer.query('ROLLBACK');
  }
}
