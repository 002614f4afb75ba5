/** Direct access to the test database, for arranging rows and checking what a request left behind. */
import pg from 'pg';
import { inject } from 'vitest';

/** A small pool on the test database (or `url`). */
export function openDatabase(url: string = inject('databaseUrl')): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 2 });
}
