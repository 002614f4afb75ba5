/**
 * The database: one small `pg` pool per process, parameterised queries, transactions, and the
 * mapping of connection failures to 503 (with Retry-After), of a rotated password to one re-read
 * of the secret and one retry, and of values PostgreSQL refuses as data to 400.
 */
import pg from 'pg';
import type { DatabaseConfig } from './config.ts';
import { BadRequestError, ServiceUnavailableError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { SecretReader } from './secrets.ts';

export type Row = Record<string, unknown>;

/** What repositories use: a query runner. Inside `transaction`, the same interface runs on one connection. */
export interface Queryable {
  query<R extends Row = Row>(text: string, values?: unknown[]): Promise<R[]>;
}

export interface Database extends Queryable {
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  end(): Promise<void>;
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
]);

/** Whether an error means "the database is not reachable right now" rather than a bug. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  if (code && (unavailableCodes.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    error.message,
  );
}

const isAuthenticationFailure = (error: unknown) => (error as { code?: string }).code === '28P01';

/**
 * Data exceptions a validated request can still provoke, because PostgreSQL is stricter than the
 * spec's schemas: a NUL character in text (22021), year 0000 in a date (22008), a forged cursor's
 * timestamp (22007), a coerced `limit` of Infinity (22P02). They are the client's bad input: 400, not 500.
 */
const rejectedValueCodes = new Set(['22001', '22007', '22008', '22021', '22P02', '22P05']);
const isRejectedValue = (error: unknown) => rejectedValueCodes.has((error as { code?: string }).code ?? '');

/** Creates the process's pool. Credentials come from `url`, or from the secret (re-read after a failed login). */
export function createDatabase(
  config: DatabaseConfig,
  dependencies: { log: Logger; secrets: SecretReader; retryAfterSeconds: number },
): Database {
  const { log, secrets, retryAfterSeconds } = dependencies;
  const secret = async (): Promise<DatabaseSecret> => {
    if (!config.secretArn) throw new Error('No database secret configured');
    const raw = await secrets.get(config.secretArn);
    if (!raw) throw new Error('The database secret has no value');
    return JSON.parse(raw) as DatabaseSecret;
  };

  const poolConfig: pg.PoolConfig = {
    max: config.poolMax,
    connectionTimeoutMillis: config.connectionTimeoutMs,
    idleTimeoutMillis: 60_000,
    statement_timeout: config.statementTimeoutMs,
    query_timeout: config.statementTimeoutMs + 1000,
    application_name: 'taskboard-api',
    ...(config.schema ? { options: `-c search_path=${config.schema}` } : {}),
  };
  let pool: Promise<pg.Pool>;
  const createPool = async (): Promise<pg.Pool> => {
    const connection: pg.PoolConfig = config.url
      ? { connectionString: config.url }
      : await secret().then((s) => ({
          host: config.host ?? s.host,
          port: s.port ?? 5432,
          database: s.dbname ?? 'taskboard',
          user: s.username,
          // Read on every new connection, so a rotated password is picked up after `secrets.refresh`.
          password: async () => (await secret()).password,
        }));
    const created = new pg.Pool({
      ...poolConfig,
      ...connection,
      ...(config.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    });
    // An idle client's connection dying (database restart) must not crash the process.
    created.on('error', (error) => log.warn('idle database connection failed', { error: describe(error) }));
    return created;
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

  /** Runs `work` with one retry after a failed login (rotation) and maps outages to 503. */
  const withRetry = async <T>(work: (p: pg.Pool) => Promise<T>): Promise<T> => {
    const used = pool;
    let current: pg.Pool;
    try {
      current = await used;
    } catch (error) {
      // The credentials could not be read (Secrets Manager unreachable, say): answer 503 and try
      // again on the next request instead of keeping the failed pool for the life of the instance.
      if (pool === used) replacePool();
      throw unavailable(error, 'secret');
    }
    try {
      return await work(current);
    } catch (error) {
      if (isAuthenticationFailure(error) && config.secretArn) {
        // Concurrent requests fail on the same stale credentials: the first replaces the pool, all retry on it.
        if (pool === used) {
          log.warn('database login failed; re-reading the secret', { code: '28P01' });
          secrets.refresh(config.secretArn);
          replacePool();
          used.then(endWhenDrained, () => undefined);
        }
        try {
          return await work(await pool);
        } catch (retryError) {
          throw isUnavailable(retryError) ? unavailable(retryError) : retryError;
        }
      }
      if (isUnavailable(error)) {
        // A fresh pool after an outage: ensure the next secret read is fresh too.
        if (config.secretArn && !config.url) secrets.refresh(config.secretArn);
        throw unavailable(error);
      }
      if (isRejectedValue(error)) throw new BadRequestError('The request carries a value the database cannot store.');
      throw error;
    }
  };

  return {
    query: (text, values) => withRetry(async (p) => (await p.query(text, values)).rows),
    transaction: (work) =>
      withRetry(async (p) => {
        const client = await p.connect();
        // A checked-out client has no pool listener: without this one, a connection the server ends
        // between two statements (a database restart) would be an uncaught 'error' that kills the process.
        let broken: Error | undefined;
        const onError = (error: Error) => {
          broken = error;
        };
        client.on('error', onError);
        try {
          await client.query('BEGIN');
          const result = await work({ query: async (text, values) => (await client.query(text, values)).rows });
          await client.query('COMMIT');
          client.removeListener('error', onError);
          client.release(broken);
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          client.removeListener('error', onError);
          // A broken connection must not go back into the pool.
          client.release(broken ?? (isUnavailable(error) ? (error as Error) : undefined));
          throw error;
        }
      }),
    end: async () => (await pool).end(),
  };
}

/** Ends a replaced pool once no request waits on it: `end()` strands requests still queued for a client. */
function endWhenDrained(stale: pg.Pool): void {
  if (stale.waitingCount > 0) {
    setTimeout(() => endWhenDrained(stale), 50).unref();
    return;
  }
  stale.end().catch(() => undefined);
}

function describe(error: Error): Record<string, unknown> {
  return { name: error.name, message: error.message, code: (error as { code?: string }).code };
}
