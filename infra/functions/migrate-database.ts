/**
 * The migration function, invoked by a CDK trigger on every deploy (infra/constructs/migrations.ts).
 *
 * 1. As the master user (TLS, certificate verified): create the application role if absent, with the
 *    application secret's password; create its schema `app AUTHORIZATION taskboard_app`; revoke
 *    CREATE on `public` from PUBLIC.
 * 2. As the application secret's user — setting the password from the secret if the login fails —
 *    switched to the application role and with `search_path=app`: run postgres-migrations, so that
 *    the tables are owned by the application role, in its schema.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from 'postgres-migrations';
import {
  type BootstrapState,
  bootstrapStatements,
  bootstrapStateQuery,
  type DatabaseSecret,
  isPasswordFailure,
  type MigrationEnvironment,
  parseDatabaseSecret,
  passwordStatement,
  readMigrationEnvironment,
  type Statement,
} from './database-bootstrap.ts';
import { type SecretSource, secretsManager } from './secret-source.ts';

/** The bundle carries the repository's migrations in `sql/` next to it (see the afterBundling hook). */
const bundledMigrations = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sql');

export interface MigrationResult {
  /** Bootstrap steps taken this run, by description. */
  bootstrap: string[];
  /** Migration files applied this run. */
  applied: string[];
  migrationsHash: string | undefined;
}

const log = (message: string, fields: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), message, ...fields }));

async function connect(
  environment: MigrationEnvironment,
  login: DatabaseSecret,
  options: { searchPath?: string } = {},
): Promise<pg.Client> {
  const client = new pg.Client({
    host: environment.host,
    port: environment.port,
    database: environment.database,
    user: login.username,
    password: login.password,
    application_name: 'taskboard-migrations',
    connectionTimeoutMillis: 15_000,
    // The RDS CA comes from NODE_EXTRA_CA_CERTS; the host name is checked against the certificate.
    ssl: environment.ssl ? { rejectUnauthorized: true } : false,
    // A direct connection, not through RDS Proxy: migrations may run longer than the API's 5 s
    // statement timeout (a database setting), so they lift it for their own session.
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath} -c statement_timeout=0` } : {}),
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** Logs in as the master user; a rotation may change the password between the read and the login. */
async function connectAsMaster(environment: MigrationEnvironment, secrets: SecretSource): Promise<pg.Client> {
  for (let attempt = 1; ; attempt += 1) {
    const master = parseDatabaseSecret(await secrets(environment.masterSecretArn), 'master');
    try {
      return await connect(environment, master);
    } catch (error) {
      if (!isPasswordFailure(error) || attempt === 3) throw error;
      log('master login failed; re-reading the secret', { attempt });
      await new Promise((resolve) => setTimeout(resolve, 5000 * attempt));
    }
  }
}

async function readBootstrapState(
  client: pg.Client,
  environment: MigrationEnvironment,
  login: DatabaseSecret,
): Promise<BootstrapState> {
  const roles = await client.query<{ rolname: string }>(bootstrapStateQuery.roles, [
    [environment.appRole, login.username],
  ]);
  const memberOf = await client.query<{ rolname: string }>(bootstrapStateQuery.memberOf, [login.username]);
  const schema = await client.query<{ owner: string }>(bootstrapStateQuery.schemaOwner, [environment.schema]);
  const server = await client.query<{ version: number }>(bootstrapStateQuery.serverVersion);
  return {
    existingRoles: roles.rows.map((row) => row.rolname),
    loginMemberOf: memberOf.rows.map((row) => row.rolname),
    schemaOwner: schema.rows[0]?.owner,
    serverVersion: server.rows[0]?.version ?? 0,
  };
}

async function run(client: pg.Client, statement: Statement): Promise<string> {
  log(statement.description);
  await client.query(statement.sql);
  return statement.description;
}

/** Bootstraps the role and schema, then migrates; throws on any error. */
export async function migrateDatabase(
  environment: MigrationEnvironment,
  secrets: SecretSource,
): Promise<MigrationResult> {
  const login = parseDatabaseSecret(await secrets(environment.appSecretArn), 'application');
  const bootstrap: string[] = [];

  const master = await connectAsMaster(environment, secrets);
  let app: pg.Client;
  try {
    const state = await readBootstrapState(master, environment, login);
    const plan = {
      database: environment.database,
      appRole: environment.appRole,
      schema: environment.schema,
      login,
      reclaimIdleSessions: environment.reclaimIdleSessions,
    };
    for (const statement of bootstrapStatements(plan, state)) bootstrap.push(await run(master, statement));
    try {
      app = await connect(environment, login, { searchPath: environment.schema });
    } catch (error) {
      if (!isPasswordFailure(error)) throw error;
      bootstrap.push(await run(master, passwordStatement(login)));
      app = await connect(environment, login, { searchPath: environment.schema });
    }
  } finally {
    await master.end();
  }

  try {
    // The rotation's alternate user creates nothing in its own name: objects belong to the role.
    await app.query(`SET ROLE ${pg.escapeIdentifier(environment.appRole)}`);
    const applied = await migrate({ client: app }, environment.migrationsDirectory, {
      logger: (message) => log(message),
    });
    const result = {
      bootstrap,
      applied: applied.map((migration) => migration.fileName),
      migrationsHash: environment.migrationsHash,
    };
    log('migrations done', { ...result });
    return result;
  } finally {
    await app.end();
  }
}

/** A Lambda handler reading its settings from the environment and its secrets from `secrets`. */
export const createHandler =
  (secrets: SecretSource): (() => Promise<MigrationResult>) =>
  () =>
    migrateDatabase(readMigrationEnvironment(process.env, bundledMigrations), secrets);

/** Lambda entry, invoked by the trigger: a thrown error fails the deploy. */
export const handler = createHandler(secretsManager());
