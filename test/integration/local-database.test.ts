/**
 * `npm start`'s local database: its data survives a restart in one data folder the banner names
 * (as root, below a 0700 folder, and as a normal user), fixed ports that are checked and named when
 * taken, `npm run db:reset`, `npm run db:psql` (the system's psql and the minimal shell) and the
 * preflight before `npm ci`. Every run uses free ports and a temporary data folder, never the defaults.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, PortTakenError, startEmbeddedPostgres } from '../../scripts/local/database.ts';
import { defaultKeyFile } from '../../scripts/local/identity.ts';
import { buildWebIfStale } from '../../scripts/web-build.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const scratch = mkdtempSync(path.join(tmpdir(), 'taskboard-local-'));
const { DATABASE_URL: _ignored, ...parentEnv } = process.env;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Who runs a script, and in which checkout (by default this one, as the test's own user). */
interface RunAs {
  cwd?: string;
  uid?: number;
  gid?: number;
}

function run(script: string, env: Record<string, string>, as: RunAs = {}): Started {
  const child = spawn(tsx, [script], {
    cwd: as.cwd ?? root,
    env: { ...parentEnv, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(as.uid === undefined ? {} : { uid: as.uid, gid: as.gid }),
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startApi(env: Record<string, string>, as: RunAs = {}): Promise<Started> {
  const started = run('scripts/start.ts', env, as);
  const deadline = Date.now() + 90_000;
  while (!started.output().includes('Taskboard API is running')) {
    if (started.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`npm start did not come up:\n${started.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return started;
}

async function stopApi(started: Started): Promise<void> {
  started.child.kill('SIGINT');
  await started.exited;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const hasPsql = spawnSync('psql', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * A normal user's checkout: a copy of the project (node_modules linked) that the user owns, so its
 * .local/ (data folder, signing keys) and docs/ are theirs. As root that user is `nobody`, whom
 * PostgreSQL runs as directly; otherwise it is the user running the tests.
 */
function normalUsersCheckout(): { cwd: string; uid?: number; gid?: number } {
  const cwd = mkdtempSync(path.join(tmpdir(), 'taskboard-user-'));
  // As after the user's first `npm start`: the web app built, so this checkout's start finds it fresh.
  buildWebIfStale(() => {});
  const entries = ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts', 'handlers', 'generated'];
  // infra/: npm start serves the docs under the policy CloudFront sends (infra/docs-page.ts).
  for (const entry of [...entries, 'client', 'infra', 'migrations', 'web', 'docs']) {
    try {
      cpSync(path.join(root, entry), path.join(cwd, entry), {
        recursive: true,
        preserveTimestamps: true,
        filter: (source) => path.basename(source) !== 'node_modules',
      });
    } catch (error) {
      if (entry !== 'docs') throw error; // npm start builds missing docs
    }
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(cwd, 'node_modules'));
  symlinkSync(path.join(root, 'web', 'node_modules'), path.join(cwd, 'web', 'node_modules'));
  if (process.getuid?.() !== 0) return { cwd };
  const [uid, gid] = [65534, 65534];
  execFileSync('chown', ['-R', `${uid}:${gid}`, cwd]);
  const reach = spawnSync(tsx, ['--version'], { cwd, uid, gid, encoding: 'utf8' });
  if (reach.status !== 0) {
    throw new Error(`nobody cannot run ${tsx} (check out the project where others may read it): ${reach.stderr}`);
  }
  return { cwd, uid, gid };
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('npm start: the local database', () => {
  it('keeps its data across restarts in the one folder the banner names; db:reset and db:psql work on it', async () => {
    // mkdtemp makes a 0700 folder: as root the postgres user must still reach the data below it.
    const parent = mkdtempSync(path.join(scratch, 'checkout-'));
    const dataDir = path.join(parent, '.local', 'postgres');
    const env = {
      PORT: String(await freePort()),
      SIGNIN_PORT: String(await freePort()),
      DB_PORT: String(await freePort()),
      LOCAL_DATA_DIR: dataDir,
    };
    const url = `postgres://postgres:taskboard-local@127.0.0.1:${env.DB_PORT}/taskboard`;

    const first = await startApi(env);
    expect(first.output()).toContain(url);
    expect(first.output()).toContain(`data in ${dataDir}`);
    expect(await query(url, 'SHOW data_directory')).toEqual([{ data_directory: dataDir }]);
    await query(url, "CREATE TABLE survivor (note text); INSERT INTO survivor VALUES ('kept')");
    await stopApi(first);

    const second = await startApi(env);
    try {
      expect(second.output()).toContain(`data in ${dataDir}`);
      expect(second.output()).not.toMatch(/not reachable|keeping the data in/);
      expect(await query(url, 'SELECT note FROM survivor')).toEqual([{ note: 'kept' }]);

      const shell = spawnSync(tsx, ['scripts/db-psql.ts'], {
        cwd: root,
        env: { ...parentEnv, ...env, DB_SHELL: 'mini' },
        input: 'SELECT note AS shell_note\n  FROM survivor;\n\\q\n',
        encoding: 'utf8',
      });
      expect(shell.status).toBe(0);
      expect(shell.stdout).toContain('shell_note');
      expect(shell.stdout).toContain('kept');

      // Without DB_SHELL: the system's psql, fed on stdin. CI installs it (.ci/run), so there it must be present.
      if (!hasPsql && process.env.CI === 'true') {
        throw new Error(
          'psql is not installed, so db:psql cannot be checked with it: apt-get install postgresql-client',
        );
      }
      const psql = spawnSync(tsx, ['scripts/db-psql.ts'], {
        cwd: root,
        env: { ...parentEnv, ...env, PSQLRC: '/dev/null' },
        input: 'SELECT note AS psql_note FROM survivor;\n',
        encoding: 'utf8',
      });
      expect(psql.status, psql.stderr).toBe(0);
      if (hasPsql) {
        expect(psql.stdout).toMatch(/psql_note *\n-+\n kept *\n\(1 row\)/);
      } else {
        console.warn('db:psql checked without the system psql (not installed): only its fallback ran.');
        expect(psql.stderr).toContain('apt-get install postgresql-client');
        expect(psql.stdout).toContain('kept');
      }

      const signingKeys = readFileSync(defaultKeyFile, 'utf8');
      const reset = spawnSync(tsx, ['scripts/db-reset.ts'], {
        cwd: root,
        env: { ...parentEnv, ...env },
        encoding: 'utf8',
      });
      expect(reset.status, reset.stderr).toBe(0);
      await expect(query(url, 'SELECT note FROM survivor')).rejects.toThrow(/does not exist/);
      const users = await query<{ email: string }>(url, 'SELECT email FROM users ORDER BY email');
      expect(users.map((user) => user.email)).toEqual(['alice@example.com', 'bob@example.com']);
      expect(readFileSync(defaultKeyFile, 'utf8')).toBe(signingKeys);
    } finally {
      await stopApi(second);
    }
  }, 240_000);

  it('as a normal user, keeps its data across restarts in the default folder the banner names', async () => {
    // Arrange: the user's own checkout, with no LOCAL_DATA_DIR: the data goes to its .local/postgres.
    const as = normalUsersCheckout();
    const dataDir = path.join(as.cwd, '.local', 'postgres');
    const env = {
      PORT: String(await freePort()),
      SIGNIN_PORT: String(await freePort()),
      DB_PORT: String(await freePort()),
      HOME: as.cwd,
    };
    const url = `postgres://postgres:taskboard-local@127.0.0.1:${env.DB_PORT}/taskboard`;
    try {
      // Act
      const first = await startApi(env, as);
      await query(url, "CREATE TABLE survivor (note text); INSERT INTO survivor VALUES ('kept')");
      await stopApi(first);
      const second = await startApi(env, as);
      let survivors: Array<{ note: string }>;
      let running: Array<{ data_directory: string }>;
      try {
        survivors = await query(url, 'SELECT note FROM survivor');
        running = await query(url, 'SHOW data_directory');
      } finally {
        await stopApi(second);
      }

      // Assert
      for (const started of [first, second]) {
        expect(started.output()).toContain('data in .local/postgres,');
        expect(started.output()).not.toMatch(/not reachable|keeping the data in/);
      }
      expect(survivors).toEqual([{ note: 'kept' }]);
      expect(running).toEqual([{ data_directory: dataDir }]);
      if (as.uid !== undefined) expect(statSync(path.join(dataDir, 'PG_VERSION')).uid).toBe(as.uid);
    } finally {
      rmSync(as.cwd, { recursive: true, force: true });
    }
  }, 240_000);

  it('names PORT when the HTTP port is taken, before starting anything', async () => {
    const port = await freePort();
    const holder = await occupy(port);
    try {
      const started = run('scripts/start.ts', {
        PORT: String(port),
        DB_PORT: String(await freePort()),
        LOCAL_DATA_DIR: path.join(scratch, 'unused', 'postgres'),
      });
      expect(await started.exited).toBe(1);
      expect(started.output()).toContain(`Port ${port} for the API is already in use`);
      expect(started.output()).toContain('PORT=<port> npm start');
    } finally {
      holder.close();
    }
  }, 60_000);

  it('names DB_PORT when the database port is taken', async () => {
    const port = await freePort();
    const holder = await occupy(port);
    try {
      const attempt = startEmbeddedPostgres({ dataDir: path.join(scratch, 'taken', 'postgres'), port });
      await expect(attempt).rejects.toBeInstanceOf(PortTakenError);
      await expect(attempt).rejects.toThrow(/DB_PORT=<port>/);
    } finally {
      holder.close();
    }
  });

  it('says to run npm ci when the dependencies are missing', () => {
    const checkout = path.join(scratch, 'fresh-clone');
    mkdirSync(path.join(checkout, 'scripts'), { recursive: true });
    cpSync(path.join(root, 'scripts', 'preflight.mjs'), path.join(checkout, 'scripts', 'preflight.mjs'));
    const result = spawnSync(process.execPath, ['scripts/preflight.mjs'], { cwd: checkout, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('run `npm ci`');
    const installed = spawnSync(process.execPath, ['scripts/preflight.mjs'], { cwd: root, encoding: 'utf8' });
    expect(installed.status).toBe(0);
  });
});
