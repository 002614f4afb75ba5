/**
 * The whole local stack the web app needs, on free ports, for the browser checks: a throw-away
 * embedded PostgreSQL (fsync off) with the demo seed, the local sign-in, and the local gateway
 * serving the API and the built app at /app/ with its config.json.
 */
import type { AppConfig } from '../../client/app-config.ts';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import { freePort, migrateDatabase, startEmbeddedPostgres } from '../../scripts/local/database.ts';
import { startLocalGateway } from '../../scripts/local/gateway.ts';
import { createLocalVerifier, type LocalKeySet, loadLocalKeySet } from '../../scripts/local/identity.ts';
import { seedDemoData } from '../../scripts/local/seed.ts';
import { localAppConfig, localClient, startLocalSignIn } from '../../scripts/local/sign-in.ts';
import { webDist } from '../../scripts/web-build.ts';

export interface WebStack {
  config: AppConfig;
  /** The app's address: http://localhost:<port>/app/ */
  appUrl: string;
  signInOrigin: string;
  keys: LocalKeySet;
  close(): Promise<void>;
}

export async function startWebStack(): Promise<WebStack> {
  const keys = loadLocalKeySet();
  const postgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
  const apiPort = await freePort();
  const signInPort = await freePort();
  const config = localAppConfig({ apiPort, signInPort });
  const databaseUrl = await postgres.createDatabase('taskboard_web');
  await migrateDatabase(databaseUrl);
  await seedDemoData(databaseUrl);
  const handler = createApiHandler({
    handlers: operationHandlers,
    config: () => loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' }),
    logSink: () => undefined,
  });
  const signIn = await startLocalSignIn({ port: signInPort, host: '127.0.0.1', clients: [localClient(apiPort)] });
  const gateway = await startLocalGateway({
    handler,
    verifier: createLocalVerifier(keys),
    port: apiPort,
    host: '127.0.0.1',
    app: { dir: webDist, config },
  });
  return {
    config,
    appUrl: config.redirectUri,
    signInOrigin: new URL(config.authority).origin,
    keys,
    async close() {
      await gateway.close();
      await signIn.close();
      await handler.close();
      await postgres.stop();
    },
  };
}
