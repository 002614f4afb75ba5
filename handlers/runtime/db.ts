/**
 * The database: one small pool of `pg` clients per process (connections.ts), one parameterised
 * statement per call, and the conditions a Lambda instance lives in:
 * - a connection that sat idle (or frozen: the idle time is read from the wall clock, because timers
 *   do not run while an instance is frozen) is checked with an empty query under a short deadline
 *   before it carries a statement, and replaced if it does not answer;
 * - a statement that provably never left the process (the connection was already gone) is retried
 *   once on a fresh connection; one that may have reached the server is not — it answers 503;
 * - nothing in the startup packet but user, database and application_name (no `options`, no
 *   timeouts), and no session state: `search_path` and the timeouts are the database's settings;
 * - a rotated password is one re-read of the secret and one retry; outages are 503 with Retry-After;
 *   values PostgreSQL refuses as data are 400;
 * - contention (a lock wait past lock_timeout, a deadlock) is a busy 503 with Retry-After, counted
 *   apart from outages; a deadlock's victim is run once more first.
 */
import type pg from 'pg';
import pgTypes from 'pg-types';
import type { DatabaseConfig } from './config.ts';
import { type ConnectionPool, createConnectionPool } from './connections.ts';
import { BadRequestError, ServiceUnavailableError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { SecretReader } from './secrets.ts';

export type Row = Record<string, unknown>;

/** What repositories use: one statement, its rows. */
export interface Queryable {
  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<R[]>;
}

export interface Database extends Queryable {
  end(): Promise<void>;
}

export interface DatabaseDependencies {
  log: Logger;
  secrets: SecretReader;
  retryAfterSeconds: number;
  /** Wall-clock milliseconds; frozen time counts as idle time. */
  now?: () => number;
  /** Sees every statement the pool sends (health pings included): statement-count tests. */
  onStatement?: (text: string) => void;
}

interface DatabaseSecret {
  username: string;
  password: string;
  host: string;
  port?: number;
  dbname?: string;
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '57014', // query_canceled (statement timeout)
  '25P03', // idle_in_transaction_session_timeout
  '57P05', // idle_session_timeout
]);

const codeOf = (error: unknown): string | undefined => (error as { code?: string } | undefined)?.code;

/**
 * A healthy database refusing one statement because another holds what it needs: lock_timeout
 * (55P03), a deadlock's victim (40P01), a serialisation failure (40001). A busy resource, not an
 * outage: the connection stays, the answer says retry, and the metric is contention's own.
 */
const contentionCodes = new Set(['55P03', '40P01', '40001']);
const isContention = (error: unknown): boolean => contentionCodes.has(codeOf(error) ?? '');

/**
 * Failures after which running the statement once more is safe and likely to win. Every statement
 * the API sends is a transaction of its own (autocommit), so the failed one was undone as a whole:
 * running it again cannot apply it twice. A deadlock's victim is rolled back precisely so the
 * other side can finish, and a serialisation failure is retried by definition. Not lock_timeout:
 * a lock held for 2 s is likely held still, and a second wait would double the caller's.
 */
const rerunnableCodes = new Set(['40P01', '40001']);

/** Whether an error means "the database is not reachable right now" rather than a bug. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = codeOf(error);
  if (code && (unavailableCodes.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|timeout expired|Query read timeout|connect ECONNREFUSED|connection error|not queryable/i.test(
    error.message,
  );
}

const isAuthenticationFailure = (error: unknown) => codeOf(error) === '28P01';

/**
 * pg refuses a statement on a client whose connection has already failed or ended, before writing
 * anything: such a statement provably never ran, so it may be retried on a fresh connection.
 */
const neverSent = (error: unknown) => error instanceof Error && /is not queryable/.test(error.message);

/**
 * Data exceptions a validated request can still provoke, because PostgreSQL is stricter than the
 * spec's schemas: a NUL character in text (22021), year 0000 in a date (22008), a forged cursor's
 * timestamp (22007), a coerced `limit` of Infinity (22P02). They are the client's bad input: 400, not 500.
 */
const rejectedValueCodes = new Set(['22001', '22007', '22008', '22021', '22P02', '22P05']);
const isRejectedValue = (error: unknown) => rejectedValueCodes.has(codeOf(error) ?? '');

/** PostgreSQL's text for a timestamptz in a UTC session, DateStyle ISO: `2026-12-02 16:26:32.325+00`. */
const utcTimestamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?\+00$/;
const timestamptzOid = 1184;
const dateOid = 1082;

/**
 * A timestamptz as the API's text (ISO 8601, UTC, milliseconds: what `Date#toISOString` writes)
 * rather than a Date. In a UTC session (the database's setting, server-settings.ts) the text is
 * rewritten: a tenth of the cost of pg parsing a Date that the function formats again (about 1 µs
 * per value, 40 in a page of 20 tasks). In any other time zone it goes through pg's own parser.
 */
export function timestamptzText(text: string): string {
  const utc = utcTimestamp.exec(text);
  if (utc) return `${utc[1]}T${utc[2]}.${(utc[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  const parsed: unknown = pgTypes.getTypeParser(timestamptzOid, 'text')(text);
  // 'infinity' and the like have no ISO form: kept as PostgreSQL wrote them.
  return parsed instanceof Date && !Number.isNaN(parsed.getTime()) ? parsed.toISOString() : text;
}

/**
 * pg's parsers, but timestamptz as `timestamptzText`, and a date kept as PostgreSQL's text,
 * `YYYY-MM-DD` under DateStyle ISO (a database setting): pg would make it a Date at local
 * midnight, shifted by the time zone, and formatting it in SQL (`to_char`) cost the server about
 * 1 µs per row.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === 'binary') return pgTypes.getTypeParser(oid, format);
    if (oid === timestamptzOid) return timestamptzText;
    if (oid === dateOid) return String;
    return pgTypes.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Creates the process's pool. Credentials come from `url`, or from the secret (re-read after a failed login). */
export function createDatabase(config: DatabaseConfig, dependencies: DatabaseDependencies): Database {
  const { log, secrets, retryAfterSeconds } = dependencies;
  const now = dependencies.now ?? Date.now;
  const onStatement = dependencies.onStatement;
  const secret = async (): Promise<DatabaseSecret> => {
    if (!config.secretArn) throw new Error('No database secret configured');
    const raw = await secrets.get(config.secretArn);
    if (!raw) throw new Error('The database secret has no value');
    return JSON.parse(raw) as DatabaseSecret;
  };

  /** Clients whose connection failed or ended while checked out. */
  const dead = new WeakSet<pg.Client>();

  let pool: Promise<ConnectionPool>;
  const createPool = async (): Promise<ConnectionPool> => {
    const connection: pg.ClientConfig = config.url
      ? { connectionString: config.url }
      : await secret().then((s) => ({
          host: config.host ?? s.host,
          port: s.port ?? 5432,
          database: s.dbname ?? 'taskboard',
          user: s.username,
          // Read on every new connection, so a rotated password is picked up after `secrets.refresh`.
          password: async () => (await secret()).password,
        }));
    return createConnectionPool({
      max: config.poolMax,
      now,
      connectionTimeoutMs: config.connectionTimeoutMs,
      // Frees connections of a long-lived local process; on Lambda, timers stop while frozen, so the
      // idle check at checkout (not this timer) is what protects a thawed instance.
      idleTimeoutMs: 60_000,
      client: {
        // Client-side only: the server's statement_timeout is a database setting (server-settings.ts),
        // because RDS Proxy and PgBouncer refuse or pin what a startup packet carries beyond the basics.
        query_timeout: config.statementTimeoutMs + 1000,
        application_name: 'taskboard-api',
        types,
        ...connection,
        ...(config.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
      },
      onCreate: (client) => {
        // A connection may die while checked out: marked dead, it is discarded at its release or
        // next checkout. (The pool drops an idle one that dies.)
        client.on('error', () => dead.add(client));
        client.on('end', () => dead.add(client));
      },
      onIdleError: (error) => log.warn('idle database connection failed', { error: describe(error) }),
    });
  };
  const replacePool = () => {
    pool = createPool();
    pool.catch(() => undefined);
  };
  replacePool();

  const unavailable = (error: unknown, reason: 'database' | 'secret' = 'database') =>
    new ServiceUnavailableError('The database is unavailable; retry shortly.', retryAfterSeconds, {
      cause: error,
      reason,
    });
  const busy = (error: unknown) =>
    new ServiceUnavailableError(
      'The resource is busy with another request; retry shortly and the request can succeed.',
      retryAfterSeconds,
      { cause: error, reason: 'contention' },
    );

  /** Whether an idle client still answers: an empty query, bounded by the idle-check deadline. */
  const answers = async (client: pg.Client): Promise<boolean> => {
    onStatement?.('');
    try {
      await client.query({ text: '', query_timeout: config.idleCheckTimeoutMs } as pg.QueryConfig);
      return true;
    } catch {
      return false;
    }
  };

  /** A client fit to carry a statement: dead ones are dropped, long-idle ones checked first. */
  const checkout = async (current: ConnectionPool): Promise<pg.Client> => {
    // Each pass destroys one unfit client, so at most `poolMax` passes precede a fresh connection.
    for (let pass = 0; pass <= config.poolMax; pass += 1) {
      const { client, idleSince: since } = current.takeIdle() ?? (await current.acquire());
      if (dead.has(client)) {
        current.release(client, true);
        continue;
      }
      if (since !== undefined && now() - since >= config.idleCheckMs && !(await answers(client))) {
        log.info('replacing a database connection that did not answer after idling', { idleMs: now() - since });
        current.release(client, true);
        continue;
      }
      return client;
    }
    throw new Error('No database connection could be checked out');
  };

  const run = async (current: ConnectionPool, text: string, values: unknown[] | undefined): Promise<Row[]> => {
    for (let attempt = 1; ; attempt += 1) {
      const client = await checkout(current);
      onStatement?.(text);
      try {
        const result = await client.query(text, values);
        current.release(client, dead.has(client));
        return result.rows;
      } catch (error) {
        current.release(client, dead.has(client) || isUnavailable(error) || neverSent(error));
        if (neverSent(error) && attempt === 1) continue;
        if (rerunnableCodes.has(codeOf(error) ?? '') && attempt === 1) {
          log.info('statement rolled back by the database; running it once more', { code: codeOf(error) });
          continue;
        }
        throw error;
      }
    }
  };

  /** Runs `text` with one retry after a failed login (rotation) and maps outages to 503. */
  const query = async (text: string, values?: unknown[]): Promise<Row[]> => {
    const used = pool;
    let current: ConnectionPool;
    try {
      current = await used;
    } catch (error) {
      // The credentials could not be read (Secrets Manager unreachable, say): answer 503 and try
      // again on the next request instead of keeping the failed pool for the life of the instance.
      if (pool === used) replacePool();
      throw unavailable(error, 'secret');
    }
    try {
      return await run(current, text, values);
    } catch (error) {
      if (isAuthenticationFailure(error) && config.secretArn) {
        // Concurrent requests fail on the same stale credentials: the first replaces the pool, all
        // retry on it. The secret reader bounds the re-reads, whatever the number of failed logins.
        if (pool === used) {
          log.warn('database login failed; re-reading the secret', { code: '28P01' });
          secrets.refresh(config.secretArn);
          replacePool();
          used.then(endWhenDrained, () => undefined);
        }
        try {
          return await run(await pool, text, values);
        } catch (retryError) {
          if (isContention(retryError)) throw busy(retryError);
          throw isUnavailable(retryError) || isAuthenticationFailure(retryError) ? unavailable(retryError) : retryError;
        }
      }
      if (isContention(error)) throw busy(error);
      if (isUnavailable(error)) throw unavailable(error);
      if (isRejectedValue(error)) throw new BadRequestError('The request carries a value the database cannot store.');
      throw error;
    }
  };

  return {
    query: query as Queryable['query'],
    end: async () => (await pool).end(),
  };
}

/** Ends a replaced pool once no request waits on it: `end()` strands requests still queued for a client. */
function endWhenDrained(stale: ConnectionPool): void {
  if (stale.waiting > 0) {
    setTimeout(() => endWhenDrained(stale), 50).unref();
    return;
  }
  stale.end().catch(() => undefined);
}

function describe(error: Error): Record<string, unknown> {
  return { name: error.name, message: error.message, code: codeOf(error) };
}
