/**
 * Vitest global setup for the integration and contract projects: a fresh, migrated database for
 * the run. On an embedded PostgreSQL 17 (fsync off, for speed) unless DATABASE_URL names a server,
 * in which case a throw-away database is created there and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createDatabase, migrateDatabase } from '../../scripts/local/database.ts';
import { startTestServer } from './test-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The migrated test database. */
    databaseUrl: string;
    /** A second, empty database on the same server (no migrations): queries fail there, for 500 paths. */
    unmigratedDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestServer();
  const serverUrl = server.url;
  const suffix = randomBytes(4).toString('hex');
  const names = [`taskboard_test_${suffix}`, `taskboard_unmigrated_${suffix}`] as const;
  const databaseUrl = await createDatabase(serverUrl, names[0]);
  const unmigratedDatabaseUrl = await createDatabase(serverUrl, names[1]);
  await migrateDatabase(databaseUrl);
  project.provide('databaseUrl', databaseUrl);
  project.provide('unmigratedDatabaseUrl', unmigratedDatabaseUrl);

  return () => server.release(names);
}
