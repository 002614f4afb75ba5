import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSettings } from '../../handlers/runtime/server-settings.ts';
import {
  type BootstrapPlan,
  type BootstrapState,
  bootstrapStatements,
  isPasswordFailure,
  MigrationConfigError,
  parseDatabaseSecret,
  passwordStatement,
  readMigrationEnvironment,
} from '../../infra/functions/database-bootstrap.ts';
import { type RunningPostgres, startEmbeddedPostgres } from '../../scripts/local/database.ts';

const buildPlan = (overrides: Partial<BootstrapPlan> = {}): BootstrapPlan => ({
  database: 'postgres',
  appRole: 'taskboard_app',
  schema: 'app',
  login: { username: 'taskboard_app', password: "pa'ss" },
  reclaimIdleSessions: true,
  ...overrides,
});

const buildState = (overrides: Partial<BootstrapState> = {}): BootstrapState => ({
  existingRoles: [],
  loginMemberOf: [],
  schemaOwner: undefined,
  serverVersion: 170005,
  ...overrides,
});

const sqlOf = (plan: BootstrapPlan, state: BootstrapState) => bootstrapStatements(plan, state).map((s) => s.sql);

/** The database settings every bootstrap run asserts: search path, then the server-side timeouts. */
const databaseSettingsSql = [
  `ALTER DATABASE "postgres" SET search_path = "app"`,
  `ALTER DATABASE "postgres" SET statement_timeout = '5s'`,
  `ALTER DATABASE "postgres" SET idle_in_transaction_session_timeout = '5s'`,
  `ALTER DATABASE "postgres" SET lock_timeout = '2s'`,
  `ALTER DATABASE "postgres" SET idle_session_timeout = '60s'`,
  `ALTER DATABASE "postgres" SET timezone = 'UTC'`,
  `ALTER DATABASE "postgres" SET datestyle = 'ISO, MDY'`,
];

describe('bootstrapStatements', () => {
  it('on an empty database, creates the role with the secret’s password and the schema it owns', () => {
    const sql = sqlOf(buildPlan(), buildState());

    expect(sql).toEqual([
      `CREATE ROLE "taskboard_app" LOGIN PASSWORD 'pa''ss'`,
      'GRANT "taskboard_app" TO CURRENT_USER WITH INHERIT FALSE, SET TRUE',
      'CREATE SCHEMA "app" AUTHORIZATION "taskboard_app"',
      ...databaseSettingsSql,
      'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
    ]);
  });

  it('on PostgreSQL 15, which has no GRANT … WITH INHERIT/SET, grants the master plain membership instead', () => {
    const sql = sqlOf(buildPlan(), buildState({ serverVersion: 150018 }));

    expect(sql).toContain('GRANT "taskboard_app" TO CURRENT_USER');
    expect(sql.filter((statement) => /INHERIT|SET TRUE/.test(statement))).toEqual([]);
  });

  it('when everything exists, only re-asserts the database settings and the revoke', () => {
    const sql = sqlOf(buildPlan(), buildState({ existingRoles: ['taskboard_app'], schemaOwner: 'taskboard_app' }));

    expect(sql).toEqual([...databaseSettingsSql, 'REVOKE CREATE ON SCHEMA public FROM PUBLIC']);
  });

  it('when someone else owns the schema, hands it to the role', () => {
    const sql = sqlOf(buildPlan(), buildState({ existingRoles: ['taskboard_app'], schemaOwner: 'taskboard_admin' }));

    expect(sql).toContain('ALTER SCHEMA "app" OWNER TO "taskboard_app"');
    expect(sql).not.toContain('CREATE SCHEMA "app" AUTHORIZATION "taskboard_app"');
  });

  it('when the secret names the rotation’s alternate user, makes sure it exists and is a member of the role', () => {
    const plan = buildPlan({ login: { username: 'taskboard_app_clone', password: 'secret' } });

    const sql = sqlOf(plan, buildState({ existingRoles: ['taskboard_app'], schemaOwner: 'taskboard_app' }));

    expect(sql).toEqual([
      `CREATE ROLE "taskboard_app_clone" LOGIN PASSWORD 'secret'`,
      'GRANT "taskboard_app" TO "taskboard_app_clone"',
      ...databaseSettingsSql,
      'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
    ]);
  });

  it('when the alternate user already exists as a member, creates nothing', () => {
    const plan = buildPlan({ login: { username: 'taskboard_app_clone', password: 'secret' } });
    const state = buildState({
      existingRoles: ['taskboard_app', 'taskboard_app_clone'],
      loginMemberOf: ['taskboard_app'],
      schemaOwner: 'taskboard_app',
    });

    expect(sqlOf(plan, state).filter((sql) => /^(CREATE|GRANT)/.test(sql))).toEqual([]);
  });

  it('never puts a password in a description', () => {
    const plan = buildPlan({ login: { username: 'taskboard_app_clone', password: 'hunter2hunter2' } });

    for (const statement of bootstrapStatements(plan, buildState())) {
      expect(statement.description).not.toContain('hunter2');
    }
    expect(passwordStatement({ username: 'taskboard_app', password: 'hunter2hunter2' }).description).not.toContain(
      'hunter2',
    );
  });
});

describe('bootstrapStatements behind RDS Proxy (reclaimIdleSessions: false)', () => {
  it('resets idle_session_timeout instead of setting it, so PostgreSQL never closes the proxy’s pooled connections', () => {
    const sql = sqlOf(buildPlan({ reclaimIdleSessions: false }), buildState());

    expect(sql).toContain(`ALTER DATABASE "postgres" RESET idle_session_timeout`);
    expect(sql.filter((statement) => statement.includes('idle_session_timeout'))).toEqual([
      `ALTER DATABASE "postgres" RESET idle_session_timeout`,
    ]);
    expect(sql).toContain(`ALTER DATABASE "postgres" SET idle_in_transaction_session_timeout = '5s'`);
  });
});

describe('passwordStatement', () => {
  it('quotes the password as a literal', () => {
    expect(passwordStatement({ username: 'taskboard_app', password: "it's" }).sql).toBe(
      `ALTER ROLE "taskboard_app" WITH PASSWORD 'it''s'`,
    );
  });
});

describe('parseDatabaseSecret', () => {
  it('reads the username and password of an RDS secret', () => {
    const raw = JSON.stringify({
      username: 'taskboard_app',
      password: 'x',
      host: 'db',
      port: 5432,
      engine: 'postgres',
    });

    expect(parseDatabaseSecret(raw, 'application')).toEqual({ username: 'taskboard_app', password: 'x' });
  });

  it.each([
    ['has no value', undefined],
    ['is not JSON', 'plain'],
    ['has no valid username', JSON.stringify({ username: 'Robert"); DROP', password: 'x' })],
    ['has no password', JSON.stringify({ username: 'taskboard_app', password: '' })],
  ])('rejects a secret that %s, naming the secret', (problem, raw) => {
    expect(() => parseDatabaseSecret(raw, 'master')).toThrow(new MigrationConfigError('The master secret', problem));
  });
});

describe('readMigrationEnvironment', () => {
  const env = {
    MASTER_SECRET_ARN: 'arn:master',
    APP_SECRET_ARN: 'arn:app',
    DB_HOST: 'db.internal',
    DB_NAME: 'taskboard',
    APP_ROLE: 'taskboard_app',
    APP_SCHEMA: 'app',
  };

  it('defaults to port 5432, TLS on and the bundled migrations', () => {
    const environment = readMigrationEnvironment(env, '/var/task/sql');

    expect(environment).toMatchObject({ port: 5432, ssl: true, migrationsDirectory: '/var/task/sql' });
    expect(environment.reclaimIdleSessions).toBe(true);
  });

  it('reads DB_RECLAIM_IDLE_SESSIONS=off (behind RDS Proxy)', () => {
    expect(
      readMigrationEnvironment({ ...env, DB_RECLAIM_IDLE_SESSIONS: 'off' }, '/var/task/sql').reclaimIdleSessions,
    ).toBe(false);
  });

  it.each([
    ['DB_HOST', { DB_HOST: '' }],
    ['APP_ROLE', { APP_ROLE: 'Taskboard-App' }],
    ['DB_PORT', { DB_PORT: '70000' }],
    ['DB_SSL', { DB_SSL: 'maybe' }],
    ['DB_RECLAIM_IDLE_SESSIONS', { DB_RECLAIM_IDLE_SESSIONS: 'no' }],
  ])('fails naming %s when it is missing or malformed', (name, overrides) => {
    expect(() => readMigrationEnvironment({ ...env, ...overrides }, '/var/task/sql')).toThrow(name);
  });
});

describe('isPasswordFailure', () => {
  it('recognises PostgreSQL’s password authentication failure only', () => {
    expect(isPasswordFailure(Object.assign(new Error('password authentication failed'), { code: '28P01' }))).toBe(true);
    expect(isPasswordFailure(Object.assign(new Error('no pg_hba.conf entry'), { code: '28000' }))).toBe(false);
    expect(isPasswordFailure(new Error('timeout'))).toBe(false);
  });
});

describe('bootstrapStatements on PostgreSQL 17', () => {
  let postgres: RunningPostgres;
  let admin: pg.Client;

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await postgres?.stop();
  });

  it('puts the search path and the server-side timeouts on the database, for every role (pg_db_role_setting)', async () => {
    const plan = buildPlan({ login: { username: 'taskboard_app_clone', password: 'secret' } });
    for (const statement of bootstrapStatements(plan, buildState())) await admin.query(statement.sql);

    const { rows } = await admin.query<{ setconfig: string[] }>(
      `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
       WHERE d.datname = 'postgres' AND s.setrole = 0`,
    );

    const expected = [
      'search_path=app',
      ...Object.entries(serverSettings).map(([setting, value]) => `${setting}=${value}`),
    ].sort();
    expect(rows).toHaveLength(1);
    // PostgreSQL stores a setting under its canonical name (`timezone` as `TimeZone`).
    const stored = (rows[0]?.setconfig ?? []).map((entry) => entry.replace(/^[^=]+/, (name) => name.toLowerCase()));
    expect(stored.sort()).toEqual(expected);
  });

  it('a session of the rotation alternate runs with those settings, without any startup option or SET', async () => {
    const server = new URL(postgres.url);
    const client = new pg.Client({
      host: server.hostname,
      port: Number(server.port),
      database: 'postgres',
      user: 'taskboard_app_clone',
      password: 'secret',
    });
    await client.connect();
    try {
      const { rows } = await client.query<Record<string, string>>(
        `SELECT ${Object.keys(serverSettings)
          .map((setting) => `current_setting('${setting}') AS ${setting}`)
          .join(', ')}, current_setting('search_path') AS search_path`,
      );

      expect(rows[0]).toEqual({ ...serverSettings, idle_session_timeout: '1min', search_path: 'app' });
    } finally {
      await client.end();
    }
  });

  it('behind RDS Proxy, removes an idle_session_timeout an earlier deploy without the proxy set', async () => {
    // The role and schema exist from the tests above; first a deploy without the proxy, then one behind it.
    const state = buildState({ existingRoles: ['taskboard_app'], schemaOwner: 'taskboard_app' });
    for (const statement of bootstrapStatements(buildPlan(), state)) await admin.query(statement.sql);
    for (const statement of bootstrapStatements(buildPlan({ reclaimIdleSessions: false }), state)) {
      await admin.query(statement.sql);
    }

    const { rows } = await admin.query<{ setconfig: string[] }>(
      `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
       WHERE d.datname = 'postgres' AND s.setrole = 0`,
    );

    const stored = rows[0]?.setconfig ?? [];
    expect(stored.some((entry) => entry.startsWith('idle_session_timeout='))).toBe(false);
    expect(stored).toContain('idle_in_transaction_session_timeout=5s');
  });
});
