import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashMigrations, migrationsDirectory } from '../../infra/constructs/migrations.ts';
import type { MigrationResult } from '../../infra/functions/migrate-database.ts';
import type { SecretSource } from '../../infra/functions/secret-source.ts';
import { type RunningPostgres, startEmbeddedPostgres } from '../../scripts/local/database.ts';
import {
  dependsOn,
  environmentOf,
  render,
  resourcesOfType,
  type Synthesized,
  synthesizeTaskboard,
} from './support/synthesize.ts';

/** The bundled function's directory in the cloud assembly. */
const assetDirectory = (synthesized: Synthesized, fn: Parameters<Synthesized['logicalId']>[0]): string => {
  const resource = synthesized.json.Resources[synthesized.logicalId(fn)];
  const assetPath = resource?.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error('no asset path: was the stack bundled?');
  return path.join(synthesized.assembly.directory, assetPath);
};

const sqlFiles = (directory: string) =>
  readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .sort();

const copies: string[] = [];
/** A scratch copy of migrations/, removed after the tests. */
const copyMigrations = (): string => {
  const copy = mkdtempSync(path.join(tmpdir(), 'taskboard-migrations-'));
  copies.push(copy);
  cpSync(migrationsDirectory, copy, { recursive: true });
  return copy;
};
afterAll(() => {
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

describe('Migrations', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ bundle: true });
  });

  describe('trigger', () => {
    it('invokes the current version of the migration function on deploy and waits for it', () => {
      const version = synthesized.logicalId(synthesized.stack.migrations.function.currentVersion);

      const [[, trigger] = []] = resourcesOfType(synthesized.json, 'Custom::Trigger');

      expect(render(trigger?.Properties?.HandlerArn)).toBe(`<${version}>`);
      expect(trigger?.Properties?.InvocationType).toBe('RequestResponse');
    });

    it('re-runs on every deploy (run id) and whenever a migration file changes (hash)', () => {
      const [[, trigger] = []] = resourcesOfType(synthesized.json, 'Custom::Trigger');

      expect(trigger?.Properties?.RunId).toBe('test-run');
      expect(trigger?.Properties?.MigrationsHash).toBe(hashMigrations());
    });

    it('runs after the database instance and before the API function and both rotations', () => {
      const { stack } = synthesized;
      const [[triggerId, trigger] = []] = resourcesOfType(synthesized.json, 'Custom::Trigger');
      const resource = (id: string) => synthesized.json.Resources[id] ?? { Type: '' };

      expect(dependsOn(trigger ?? { Type: '' })).toContain(synthesized.logicalId(stack.database.instance));
      expect(dependsOn(resource(synthesized.logicalId(stack.api.function)))).toContain(triggerId);
      for (const rotation of [stack.database.masterRotation, stack.database.appRotation]) {
        expect(dependsOn(resource(synthesized.logicalId(rotation)))).toContain(triggerId);
      }
    });

    it('connects the migration function to the instance endpoint with the master and application secrets', () => {
      const { stack } = synthesized;
      const instance = synthesized.logicalId(stack.database.instance);

      expect(environmentOf(synthesized, stack.migrations.function)).toMatchObject({
        DB_HOST: { 'Fn::GetAtt': [instance, 'Endpoint.Address'] },
        MASTER_SECRET_ARN: { Ref: synthesized.logicalId(stack.database.masterSecret) },
        APP_SECRET_ARN: { Ref: synthesized.logicalId(stack.database.appSecret) },
        APP_ROLE: 'taskboard_app',
        APP_SCHEMA: 'app',
        DB_SSL: 'on',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
    });
  });

  describe('bundle', () => {
    it('carries the repository’s migrations next to the function', () => {
      const bundle = assetDirectory(synthesized, synthesized.stack.migrations.function);

      expect(sqlFiles(path.join(bundle, 'sql'))).toEqual(sqlFiles(migrationsDirectory));
      for (const file of sqlFiles(migrationsDirectory)) {
        expect(readFileSync(path.join(bundle, 'sql', file), 'utf8')).toBe(
          readFileSync(path.join(migrationsDirectory, file), 'utf8'),
        );
      }
    });

    it('builds ES modules that define require for CommonJS dependencies, with source maps', () => {
      for (const fn of [synthesized.stack.api.function, synthesized.stack.migrations.function]) {
        const bundle = assetDirectory(synthesized, fn);
        const code = readFileSync(path.join(bundle, 'index.mjs'), 'utf8');

        expect(code.startsWith('import { createRequire')).toBe(true);
        expect(existsSync(path.join(bundle, 'index.mjs.map'))).toBe(true);
        expect(code).not.toMatch(/from\s*["']pg["']/);
      }
    });
  });

  describe('hashMigrations', () => {
    it('changes when a migration file changes', () => {
      const copy = copyMigrations();
      const before = hashMigrations(copy);

      writeFileSync(path.join(copy, '00099_more.sql'), 'SELECT 1;');

      expect(hashMigrations(copy)).not.toBe(before);
      expect(before).toBe(hashMigrations());
    });
  });

  /**
   * The bundled function, run against a PostgreSQL 17 whose "master" user is what RDS gives:
   * CREATEROLE and CREATEDB, owner of the database, not a superuser.
   */
  describe('bundled migration function against PostgreSQL 17', () => {
    let postgres: RunningPostgres;
    let server: URL;
    let createHandler: (source: SecretSource) => () => Promise<MigrationResult>;

    beforeAll(async () => {
      postgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
      server = new URL(postgres.url);
      const bundle = assetDirectory(synthesized, synthesized.stack.migrations.function);
      ({ createHandler } = (await import(pathToFileURL(path.join(bundle, 'index.mjs')).href)) as {
        createHandler: typeof createHandler;
      });
    });

    afterAll(async () => {
      await postgres?.stop();
    });

    /**
     * A deployment target of the test's own: a database, its "master" user as RDS makes it, the
     * application role's names and secrets, and `run` to invoke the function on it. Each test has
     * one, so no test depends on another having deployed first.
     */
    async function deploymentTarget() {
      const suffix = randomBytes(4).toString('hex');
      const names = { database: `taskboard_${suffix}`, master: `admin_${suffix}`, app: `app_${suffix}` };
      const passwords = { master: randomBytes(12).toString('hex'), app: randomBytes(12).toString('hex') };
      const secrets: Record<string, { username: string; password: string }> = {
        master: { username: names.master, password: passwords.master },
        app: { username: names.app, password: passwords.app },
      };
      const root = new pg.Client({ connectionString: postgres.url });
      await root.connect();
      await root.query(`CREATE ROLE ${names.master} LOGIN CREATEROLE CREATEDB PASSWORD '${passwords.master}'`);
      await root.query(`CREATE DATABASE ${names.database} OWNER ${names.master}`);
      await root.end();

      const connect = async (user: string, password: string) => {
        const client = new pg.Client({
          host: server.hostname,
          port: Number(server.port),
          database: names.database,
          user,
          password,
        });
        await client.connect();
        return client;
      };
      const query = async (sql: string, values: unknown[] = []) => {
        const client = await connect(names.master, passwords.master);
        try {
          return (await client.query(sql, values)).rows;
        } finally {
          await client.end();
        }
      };
      const handler = createHandler(async (arn) => JSON.stringify(secrets[arn]));
      const base = {
        MASTER_SECRET_ARN: 'master',
        APP_SECRET_ARN: 'app',
        DB_HOST: server.hostname,
        DB_PORT: server.port,
        DB_NAME: names.database,
        APP_ROLE: names.app,
        APP_SCHEMA: 'app',
        DB_SSL: 'off',
      };
      const run = async (environment = {}) => {
        const saved = { ...process.env };
        Object.assign(process.env, base, environment);
        // The function logs each step as a JSON line; keep the test output quiet.
        const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
        try {
          return await handler();
        } finally {
          log.mockRestore();
          process.env = saved;
        }
      };
      return { names, passwords, secrets, connect, query, run };
    }

    it('on the first deploy, creates the role and its schema and applies every migration as that role', async () => {
      const { names, query, run } = await deploymentTarget();

      const result = await run();

      expect(result.applied).toEqual(['0_create-migrations-table.sql', ...sqlFiles(migrationsDirectory)]);
      const tables = await query("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'app'");
      expect(tables.length).toBeGreaterThan(1);
      for (const table of tables) expect(table.tableowner).toBe(names.app);
      expect(await query("SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'app'")).toEqual([
        { owner: names.app },
      ]);
    });

    it('on the next deploy, applies nothing', async () => {
      const { names, run } = await deploymentTarget();
      expect((await run()).applied).not.toEqual([]);

      const result = await run();

      expect(result.applied).toEqual([]);
      expect(result.bootstrap).not.toContain(`create role ${names.app}`);
    });

    it('gives the application user no way to create objects in schema public', async () => {
      const { names, passwords, connect, run } = await deploymentTarget();
      await run();

      const app = await connect(names.app, passwords.app);
      try {
        await expect(app.query('CREATE TABLE public.intruder (id int)')).rejects.toThrow(/permission denied/);
        expect((await app.query('SELECT count(*)::int AS n FROM users')).rows).toEqual([{ n: 0 }]);
      } finally {
        await app.end();
      }
    });

    it('sets the role’s password from the secret when they disagree', async () => {
      const { names, secrets, connect, run } = await deploymentTarget();
      await run();
      const password = randomBytes(12).toString('hex');
      secrets.app = { username: names.app, password };

      const result = await run();

      expect(result.bootstrap).toContain(`set the password of ${names.app} from its secret`);
      await (await connect(names.app, password)).end();
    });

    it('after a multi-user rotation, migrates as the alternate user but creates objects owned by the role', async () => {
      const { names, secrets, query, run } = await deploymentTarget();
      await run();
      // What the rotation function does: a clone that is a member of the role, and the secret names it.
      const clone = `${names.app}_clone`;
      const password = randomBytes(12).toString('hex');
      await query(`CREATE ROLE ${clone} LOGIN PASSWORD '${password}'`);
      await query(`GRANT ${names.app} TO ${clone}`);
      secrets.app = { username: clone, password };
      const directory = copyMigrations();
      const next = String(sqlFiles(migrationsDirectory).length + 1).padStart(5, '0');
      writeFileSync(path.join(directory, `${next}_create-notes.sql`), 'CREATE TABLE notes (id int PRIMARY KEY);');

      const result = await run({ MIGRATIONS_DIR: directory });

      expect(result.applied).toEqual([`${next}_create-notes.sql`]);
      expect(await query("SELECT tableowner FROM pg_tables WHERE schemaname = 'app' AND tablename = 'notes'")).toEqual([
        { tableowner: names.app },
      ]);
    });
  });
});
