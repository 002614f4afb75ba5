/**
 * The runtime's configuration, read and validated once per cold start. Missing or malformed
 * variables fail fast with their name. Defaults serve local mode; the environment carries
 * secret ARNs, never secret values.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface DatabaseConfig {
  /** A full connection string (local mode, tests, an existing PostgreSQL). */
  url: string | undefined;
  /** Secrets Manager secret holding `{ username, password, host, port, dbname }` (deployed mode). */
  secretArn: string | undefined;
  /** Overrides the secret's host, e.g. an RDS Proxy endpoint. */
  host: string | undefined;
  /** Verify the server certificate (RDS CA bundle via NODE_EXTRA_CA_CERTS on Lambda). */
  ssl: boolean;
  poolMax: number;
  connectionTimeoutMs: number;
  /** The server's statement timeout as the runtime expects it; the client gives up 1 s later. */
  statementTimeoutMs: number;
  /** A connection idle (or frozen) at least this long is checked before it carries a statement. */
  idleCheckMs: number;
  /** How long that check waits for an answer before the connection is replaced. */
  idleCheckTimeoutMs: number;
}

export interface Config {
  database: DatabaseConfig;
  /** Secret whose current (or, during rotation, previous) value CloudFront sends as `X-Origin-Verify`. */
  originVerifySecretArn: string | undefined;
  logLevel: LogLevel;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  /** Origins whose pages may read the answers: `['*']` (any, the local default) or a list of exact origins. */
  corsAllowedOrigins: string[];
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function arn(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(raw)) {
    throw new ConfigError(name, 'must be a Secrets Manager secret ARN');
  }
  return raw;
}

/**
 * `CORS_ALLOWED_ORIGINS`: `*`, or a comma-separated list of origins (`https://app.example.com`,
 * `http://localhost:5173`) — scheme, host and optional port, nothing else, as browsers send `Origin`.
 */
export function parseAllowedOrigins(raw: string | undefined, name = 'CORS_ALLOWED_ORIGINS'): string[] {
  if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return ['*'];
  const origins = raw.split(',').map((origin) => origin.trim());
  for (const origin of origins) {
    if (!/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(origin)) {
      throw new ConfigError(
        name,
        `must be * or a comma-separated list of origins like https://app.example.com, got "${origin}"`,
      );
    }
  }
  return origins;
}

/** Reads the configuration from the environment; throws a ConfigError naming the bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const url = env.DATABASE_URL || undefined;
  const secretArn = arn(env, 'DB_SECRET_ARN');
  if (!url && !secretArn) throw new ConfigError('DATABASE_URL', 'or DB_SECRET_ARN must be set');
  if (url && !/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('DATABASE_URL', 'must start with postgres://');
  const onLambda = env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
  return {
    database: {
      url,
      secretArn,
      host: env.DB_HOST || undefined,
      ssl: oneOf(env, 'DB_SSL', ['on', 'off'], secretArn ? 'on' : 'off') === 'on',
      // One connection per warm Lambda instance; a local process serves many requests at once.
      poolMax: integer(env, 'DB_POOL_MAX', onLambda ? 1 : 10, 1, 100),
      connectionTimeoutMs: integer(env, 'DB_CONNECTION_TIMEOUT_MS', 3000, 100, 60_000),
      statementTimeoutMs: integer(env, 'DB_STATEMENT_TIMEOUT_MS', 5000, 100, 60_000),
      idleCheckMs: integer(env, 'DB_IDLE_CHECK_MS', 5000, 0, 3_600_000),
      idleCheckTimeoutMs: integer(env, 'DB_IDLE_CHECK_TIMEOUT_MS', 500, 50, 10_000),
    },
    originVerifySecretArn: arn(env, 'ORIGIN_VERIFY_SECRET_ARN'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info'),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 64 * 1024, 1024, 6 * 1024 * 1024),
    retryAfterSeconds: integer(env, 'RETRY_AFTER_SECONDS', 2, 0, 3600),
    corsAllowedOrigins: parseAllowedOrigins(env.CORS_ALLOWED_ORIGINS),
  };
}
