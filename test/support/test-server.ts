/** The PostgreSQL server a test run uses: an embedded PostgreSQL 17 (fsync off), or the one DATABASE_URL names. */
import pg from 'pg';
import {
  assertSupportedServer,
  dropDatabase,
  type RunningPostgres,
  startEmbeddedPostgres,
} from '../../scripts/local/database.ts';

export interface TestServer {
  url: string;
  /** Stops the embedded server, or drops `databases` from the DATABASE_URL server. */
  release(databases: readonly string[]): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const existing = process.env.DATABASE_URL;
  if (existing) {
    // A server older than the supported minimum fails here, with the message naming it, before any project sets up.
    const client = new pg.Client({ connectionString: existing });
    await client.connect();
    try {
      await assertSupportedServer(client);
    } finally {
      await client.end();
    }
    return {
      url: existing,
      release: async (databases) => {
        for (const name of databases) await dropDatabase(existing, name);
      },
    };
  }
  const postgres: RunningPostgres = await startEmbeddedPostgres({
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off'],
  });
  return { url: postgres.url, release: () => postgres.stop() };
}
