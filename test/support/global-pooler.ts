/**
 * Vitest global setup for the `pooler` project: the integration suite again, through PgBouncer in
 * transaction mode — the stand-in for RDS Proxy's multiplexing — against a database laid out as
 * deployed. The deploy's own bootstrap (infra/functions/database-bootstrap.ts) creates the
 * application role and schema and puts the search path and timeouts on the database; the suite
 * then connects as that role, through the pooler, with nothing but user, database and
 * application_name in the startup packet (PgBouncer refuses any other startup parameter, as RDS
 * Proxy refuses `options`), and with at most 4 server connections shared by every client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { bootstrapStatements, bootstrapStateQuery } from '../../infra/functions/database-bootstrap.ts';
import { createDatabase, databaseUrl, freePort, migrateDatabase } from '../../scripts/local/database.ts';
import { startTestServer } from './test-server.ts';

/** How many server connections PgBouncer may open per database and user: far fewer than the clients. */
export const poolerServerConnections = 4;

async function onDatabase(url: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

async function listening(port: number, pooler: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (pooler.exitCode !== null) throw new Error(`pgbouncer exited with ${pooler.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.end() !== undefined));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('pgbouncer did not start listening');
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const testServer = await startTestServer();
  const serverUrl = testServer.url;
  const suffix = randomBytes(4).toString('hex');
  const role = `taskboard_app_${suffix}`;
  const password = randomBytes(12).toString('hex');
  const names = [`taskboard_pooled_${suffix}`, `taskboard_pooled_unmigrated_${suffix}`] as const;
  const masterUrl = await createDatabase(serverUrl, names[0]);
  await createDatabase(serverUrl, names[1]);
  await onDatabase(masterUrl, async (master) => {
    const plan = {
      database: names[0],
      appRole: role,
      schema: 'app',
      login: { username: role, password },
      reclaimIdleSessions: true,
    };
    const { rows } = await master.query<{ version: number }>(bootstrapStateQuery.serverVersion);
    const state = {
      existingRoles: [],
      loginMemberOf: [],
      schemaOwner: undefined,
      serverVersion: rows[0]?.version ?? 0,
    };
    for (const statement of bootstrapStatements(plan, state)) await master.query(statement.sql);
  });
  const server = new URL(serverUrl);
  const direct = new URL(databaseUrl(serverUrl, names[0]));
  direct.username = role;
  direct.password = password;
  await migrateDatabase(direct.toString(), { serverSettings: false });

  const dir = await mkdtemp(path.join(tmpdir(), 'taskboard-pgbouncer-'));
  await chmod(dir, 0o755);
  const port = await freePort();
  await writeFile(path.join(dir, 'userlist.txt'), `"${role}" "${password}"\n`, { mode: 0o644 });
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolerServerConnections}`,
      'max_client_conn = 1000',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  // PgBouncer refuses to run as root; as root it drops to an unprivileged user.
  const asRoot = process.getuid?.() === 0;
  const pooler = spawn('pgbouncer', [...(asRoot ? ['-u', 'nobody'] : []), path.join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  pooler.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  try {
    await listening(port, pooler);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  const pooled = (name: string) => `postgres://${role}:${password}@127.0.0.1:${port}/${name}`;
  project.provide('databaseUrl', pooled(names[0]));
  project.provide('unmigratedDatabaseUrl', pooled(names[1]));

  return async () => {
    pooler.kill('SIGTERM');
    await new Promise((resolve) => pooler.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
    await testServer.release(names);
    if (process.env.DATABASE_URL) {
      await onDatabase(serverUrl, async (client) => {
        await client.query(`DROP ROLE IF EXISTS ${role}`);
      });
    }
  };
}
