/**
 * Where `npm start`, `npm run db:psql` and `npm run db:reset` find the local database: one data
 * folder and one stable port, each overridable by an environment variable.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localPassword } from './database.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LocalSettings {
  /** HTTP port of the local API Gateway (`PORT`, default 3000). */
  httpPort: number;
  /** HTTP port of the local sign-in, Cognito's managed login stand-in (`SIGNIN_PORT`, default 3001). */
  signInPort: number;
  /** Port of the embedded PostgreSQL (`DB_PORT`, default 5433, next to a system server's 5432). */
  databasePort: number;
  /** The embedded server's data folder (`LOCAL_DATA_DIR`, default .local/postgres). */
  dataDir: string;
  /** The database the API uses on the embedded server. */
  databaseName: string;
  /** Full connection string of that database on the embedded server (the password is not a secret). */
  databaseUrl: string;
}

function portFrom(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${variable}=${raw} is not a port number (1–65535).`);
  }
  return port;
}

export function localSettings(env: NodeJS.ProcessEnv = process.env): LocalSettings {
  const databasePort = portFrom(env, 'DB_PORT', 5433);
  const databaseName = 'taskboard';
  return {
    httpPort: portFrom(env, 'PORT', 3000),
    signInPort: portFrom(env, 'SIGNIN_PORT', 3001),
    databasePort,
    dataDir: path.resolve(env.LOCAL_DATA_DIR || path.join(projectRoot, '.local', 'postgres')),
    databaseName,
    databaseUrl: `postgres://postgres:${localPassword}@127.0.0.1:${databasePort}/${databaseName}`,
  };
}
