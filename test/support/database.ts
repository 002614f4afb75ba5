/** Direct access to the test database, for arranging rows and checking what a request left behind. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, dropDatabase, migrateDatabase } from '../../scripts/local/database.ts';

/** A small pool on the test database (or `url`). */
export function openDatabase(url: string = inject('databaseUrl')): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 2 });
}

/**
 * A new, migrated database on the test server, for tests that need the whole table to themselves
 * (the last administrator is a property of every user row). `drop` removes it.
 */
export async function freshDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = inject('databaseUrl');
  const name = `taskboard_${label}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(server, name);
  await migrateDatabase(url);
  return { url, drop: () => dropDatabase(server, name) };
}
