/**
 * The pure half of the migration function: reading its environment and the database secrets, and
 * deciding which statements bring the database to the state the API expects — an application role
 * that owns the application schema and nothing else, and no CREATE on `public` for anyone.
 */
import pg from 'pg';
import { serverSettingStatements } from '../../handlers/runtime/server-settings.ts';

/** A Secrets Manager database secret as RDS and its rotation functions write it. */
export interface DatabaseSecret {
  username: string;
  password: string;
}

/** What the migration function needs to know, from its environment. */
export interface MigrationEnvironment {
  masterSecretArn: string;
  appSecretArn: string;
  host: string;
  port: number;
  database: string;
  /** The application role, e.g. `taskboard_app`; the API's secret names it or its rotation clone. */
  appRole: string;
  /** The schema the application role owns, e.g. `app`. */
  schema: string;
  /** Verify the server certificate (off only against a local PostgreSQL without TLS). */
  ssl: boolean;
  migrationsDirectory: string;
  /** Hash of the migration files the deployment carries, reported back to the trigger. */
  migrationsHash: string | undefined;
  /** Let the server end idle sessions (`idle_session_timeout`); off behind RDS Proxy, whose pooled connections they are. */
  reclaimIdleSessions: boolean;
}

/** Thrown for a missing or malformed variable or secret; names it. */
export class MigrationConfigError extends Error {
  constructor(name: string, problem: string) {
    super(`${name} ${problem}`);
    this.name = 'MigrationConfigError';
  }
}

const identifierPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** Reads and validates the environment; `migrationsDirectory` is the fallback for MIGRATIONS_DIR. */
export function readMigrationEnvironment(
  env: Record<string, string | undefined>,
  migrationsDirectory: string,
): MigrationEnvironment {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new MigrationConfigError(name, 'must be set');
    return value;
  };
  const identifier = (name: string): string => {
    const value = required(name);
    if (!identifierPattern.test(value)) throw new MigrationConfigError(name, 'must be a lower-case SQL identifier');
    return value;
  };
  const port = Number(env.DB_PORT ?? '5432');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new MigrationConfigError('DB_PORT', 'must be a TCP port');
  }
  const ssl = env.DB_SSL ?? 'on';
  if (ssl !== 'on' && ssl !== 'off') throw new MigrationConfigError('DB_SSL', 'must be on or off');
  const reclaim = env.DB_RECLAIM_IDLE_SESSIONS ?? 'on';
  if (reclaim !== 'on' && reclaim !== 'off') {
    throw new MigrationConfigError('DB_RECLAIM_IDLE_SESSIONS', 'must be on or off');
  }
  return {
    masterSecretArn: required('MASTER_SECRET_ARN'),
    appSecretArn: required('APP_SECRET_ARN'),
    host: required('DB_HOST'),
    port,
    database: identifier('DB_NAME'),
    appRole: identifier('APP_ROLE'),
    schema: identifier('APP_SCHEMA'),
    ssl: ssl === 'on',
    migrationsDirectory: env.MIGRATIONS_DIR || migrationsDirectory,
    migrationsHash: env.MIGRATIONS_HASH || undefined,
    reclaimIdleSessions: reclaim === 'on',
  };
}

/** Parses a database secret's JSON; `name` says which secret in the error. */
export function parseDatabaseSecret(raw: string | undefined, name: string): DatabaseSecret {
  if (!raw) throw new MigrationConfigError(`The ${name} secret`, 'has no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new MigrationConfigError(`The ${name} secret`, 'is not JSON');
  }
  const { username, password } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || !identifierPattern.test(username)) {
    throw new MigrationConfigError(`The ${name} secret`, 'has no valid username');
  }
  if (typeof password !== 'string' || password === '') {
    throw new MigrationConfigError(`The ${name} secret`, 'has no password');
  }
  return { username, password };
}

/** What the database looks like before the bootstrap, as read by the master user. */
export interface BootstrapState {
  /** Roles that exist, among the application role and the secret's user. */
  existingRoles: string[];
  /** Roles the secret's user is a member of. */
  loginMemberOf: string[];
  /** Owner of the application schema; undefined when the schema does not exist. */
  schemaOwner: string | undefined;
  /** The server's `server_version_num` (170005 for 17.5): PostgreSQL 15 lacks the 16+ GRANT options. */
  serverVersion: number;
}

/** One statement, with a description that is safe to log (statements may carry a password). */
export interface Statement {
  description: string;
  sql: string;
}

export interface BootstrapPlan {
  /** The database the API uses: its settings (search path, timeouts) hold for every role in it. */
  database: string;
  appRole: string;
  schema: string;
  /** The application secret: its user is the application role, or the rotation's alternate user. */
  login: DatabaseSecret;
  /**
   * Set `idle_session_timeout` (direct connections), or reset it (behind RDS Proxy: PostgreSQL would
   * otherwise close the proxy's idle pooled connections every minute; the proxy reclaims idle clients).
   */
  reclaimIdleSessions: boolean;
}

const id = (name: string) => pg.escapeIdentifier(name);
const literal = (value: string) => pg.escapeLiteral(value);

/**
 * The statements, run as the master user, that make `plan` true: the application role exists;
 * the secret's user can log in (multi-user rotation alternates between `taskboard_app` and
 * `taskboard_app_clone`, the clone being a member of the role); the schema exists and the role owns
 * it; the database's default search path is the schema and its server-side timeouts are
 * `serverSettings` — on the database, not the role, so they hold for whichever user multi-user
 * rotation made current, even one created after the last deploy (role settings are not inherited
 * through membership); RDS Proxy takes them as they are, with no startup option or SET; and nobody
 * may create objects in `public`.
 * Idempotent: a second run on the resulting state changes nothing but re-asserts the REVOKE.
 */
export function bootstrapStatements(plan: BootstrapPlan, state: BootstrapState): Statement[] {
  const { appRole, schema, login } = plan;
  const statements: Statement[] = [];
  const exists = (role: string) => state.existingRoles.includes(role);

  if (!exists(appRole)) {
    statements.push({
      description: `create role ${appRole}`,
      sql:
        login.username === appRole
          ? `CREATE ROLE ${id(appRole)} LOGIN PASSWORD ${literal(login.password)}`
          : `CREATE ROLE ${id(appRole)} LOGIN`,
    });
  }
  if (login.username !== appRole) {
    if (!exists(login.username)) {
      statements.push({
        description: `create role ${login.username}`,
        sql: `CREATE ROLE ${id(login.username)} LOGIN PASSWORD ${literal(login.password)}`,
      });
    }
    if (!state.loginMemberOf.includes(appRole)) {
      statements.push({
        description: `grant ${appRole} to ${login.username}`,
        sql: `GRANT ${id(appRole)} TO ${id(login.username)}`,
      });
    }
  }
  if (state.schemaOwner !== appRole) {
    // A non-superuser (the RDS master) may give an object to a role only if it may SET ROLE to it. PostgreSQL
    // 16+ grants just that; 15 has no such options, and plain membership is what it checks.
    statements.push({
      description: `let the master user act as ${appRole} to hand it the schema`,
      sql:
        state.serverVersion >= 160000
          ? `GRANT ${id(appRole)} TO CURRENT_USER WITH INHERIT FALSE, SET TRUE`
          : `GRANT ${id(appRole)} TO CURRENT_USER`,
    });
  }
  if (state.schemaOwner === undefined) {
    statements.push({
      description: `create schema ${schema} owned by ${appRole}`,
      sql: `CREATE SCHEMA ${id(schema)} AUTHORIZATION ${id(appRole)}`,
    });
  } else if (state.schemaOwner !== appRole) {
    statements.push({
      description: `hand schema ${schema} to ${appRole}`,
      sql: `ALTER SCHEMA ${id(schema)} OWNER TO ${id(appRole)}`,
    });
  }
  statements.push({
    description: `default search path in ${plan.database} is ${schema}`,
    sql: `ALTER DATABASE ${id(plan.database)} SET search_path = ${id(schema)}`,
  });
  for (const sql of serverSettingStatements(plan.database, { reclaimIdleSessions: plan.reclaimIdleSessions })) {
    statements.push({ description: sql.replace(/^ALTER DATABASE \S+ SET /, `${plan.database}: `), sql });
  }
  if (!plan.reclaimIdleSessions) {
    // A stack that ran without the proxy before has the setting; behind the proxy it must go.
    statements.push({
      description: `${plan.database}: no idle_session_timeout (RDS Proxy owns the connections)`,
      sql: `ALTER DATABASE ${id(plan.database)} RESET idle_session_timeout`,
    });
  }
  statements.push({
    description: 'PUBLIC may not create objects in schema public',
    sql: 'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
  });
  return statements;
}

/** Sets the secret's password on its user, after a login with it failed. */
export function passwordStatement(login: DatabaseSecret): Statement {
  return {
    description: `set the password of ${login.username} from its secret`,
    sql: `ALTER ROLE ${id(login.username)} WITH PASSWORD ${literal(login.password)}`,
  };
}

/** Reads the state `bootstrapStatements` needs, as the master user. */
export const bootstrapStateQuery = {
  roles: 'SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])',
  memberOf: `SELECT r.rolname FROM pg_auth_members m
    JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
    WHERE u.rolname = $1`,
  schemaOwner: `SELECT r.rolname AS owner FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
    WHERE n.nspname = $1`,
  serverVersion: `SELECT current_setting('server_version_num')::int AS version`,
} as const;

/** PostgreSQL's "password authentication failed" (28P01): the secret and the role disagree. */
export function isPasswordFailure(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '28P01';
}
