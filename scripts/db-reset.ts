/**
 * `npm run db:reset`: drops the local database and creates it again (migrations and the demo seed
 * applied), on the running `npm start` server or, when none runs, on the embedded server started
 * for the purpose. Only the database goes: the signing keys in .local/keys stay, so tokens issued
 * before still verify. Refuses to touch DATABASE_URL.
 */
import path from 'node:path';
import pg from 'pg';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  migrateDatabase,
  type RunningPostgres,
  startEmbeddedPostgres,
} from './local/database.ts';
import { seedDemoData } from './local/seed.ts';
import { localSettings } from './local/settings.ts';

/** Drops and re-creates database `name` on `serverUrl`, migrated and seeded. */
export async function resetDatabase(serverUrl: string, name: string): Promise<string[]> {
  await dropDatabase(serverUrl, name);
  const url = await createDatabase(serverUrl, name);
  const applied = await migrateDatabase(url);
  await seedDemoData(url);
  return applied;
}

async function serverAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    if (error instanceof Error && /ECONNREFUSED/.test(error.message)) return false;
    throw error;
  }
}

async function main(): Promise<void> {
  if (process.env.DATABASE_URL) {
    throw new Error('db:reset only resets the local embedded database; unset DATABASE_URL (it never drops that one).');
  }
  const settings = localSettings();
  const serverUrl = databaseUrl(settings.databaseUrl, 'postgres');
  let postgres: RunningPostgres | undefined;
  if (!(await serverAnswers(serverUrl))) {
    console.log(`Starting the embedded PostgreSQL on port ${settings.databasePort} (data in ${settings.dataDir})…`);
    postgres = await startEmbeddedPostgres({ dataDir: settings.dataDir, port: settings.databasePort });
  }
  try {
    const applied = await resetDatabase(serverUrl, settings.databaseName);
    console.log(
      `Database ${settings.databaseName} re-created: ${applied.length} migrations applied, demo data seeded.`,
    );
    console.log(`The signing keys in ${path.join('.local', 'keys')} are kept: tokens issued before still verify.`);
  } finally {
    await postgres?.stop();
  }
}

// Run as a script (not when a test imports resetDatabase).
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main()
    .then(() => process.exit(0))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
}
