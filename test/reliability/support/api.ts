/**
 * The API as the reliability tests drive it: a Lambda handler behind the local API Gateway on a
 * loopback port, registered users with real local ID tokens, and a checksum of the rows those
 * users own, to prove that a run of requests changed nothing.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ApiHandler } from '../../../handlers/runtime/api-handler.ts';
import { type LocalGateway, startLocalGateway, type ThrottleSettings } from '../../../scripts/local/gateway.ts';
import {
  createLocalVerifier,
  issueIdToken,
  type LocalKeySet,
  loadLocalKeySet,
  localSubject,
} from '../../../scripts/local/identity.ts';
import { openDatabase } from '../../support/database.ts';
import { createTestHandler, uniqueEmail } from '../../support/factories.ts';
import { createHttpClient, type HttpClient, jsonRequest } from './http.ts';

export const keys: LocalKeySet = loadLocalKeySet();
const verifier = createLocalVerifier(keys);

export interface ServedApi {
  url: string;
  client: HttpClient;
  gateway: LocalGateway;
  /** How many events reached the Lambda handler so far. */
  invocations(): number;
  close(): Promise<void>;
}

/** Serves `handler` through the local API Gateway on a free loopback port. */
export async function serve(
  handler: ApiHandler,
  options: { throttle?: ThrottleSettings; maxSockets?: number } = {},
): Promise<ServedApi> {
  let invocations = 0;
  const gateway = await startLocalGateway({
    handler: (event) => {
      invocations += 1;
      return handler(event);
    },
    verifier,
    port: 0,
    // The tests send bursts faster than the stage's default limits; throttling has its own contract test.
    throttle: options.throttle ?? { rateLimit: 1_000_000, burstLimit: 1_000_000 },
  });
  const client = createHttpClient(gateway.url, options.maxSockets);
  return {
    url: gateway.url,
    client,
    gateway,
    invocations: () => invocations,
    close: async () => {
      client.close();
      await gateway.close();
      await handler.close();
    },
  };
}

/** A local ID token for `email`, signed with the local key set the gateway trusts. */
export const tokenFor = (email: string, groups?: string[]) => issueIdToken(email, groups ? { groups } : {}, keys);

export interface RegisteredUser {
  email: string;
  sub: string;
  token: string;
  id: string;
}

/** Registers a new user (unique email) over HTTP. */
export async function registerUser(client: HttpClient, label: string, groups?: string[]): Promise<RegisteredUser> {
  const email = uniqueEmail(label);
  const token = tokenFor(email, groups);
  const response = await client.send(jsonRequest('POST', '/users', { token }));
  if (response.status !== 201 || typeof response.json?.id !== 'string') {
    throw new Error(`registering ${email} answered ${response.status}: ${response.text}`);
  }
  return { email, sub: localSubject(email), token, id: response.json.id };
}

/** Creates a task over HTTP; returns its id and ETag. */
export async function createTask(
  client: HttpClient,
  token: string,
  body: Record<string, unknown> = { title: `Task ${randomUUID().slice(0, 8)}` },
): Promise<{ id: string; etag: string; body: Record<string, unknown> }> {
  const response = await client.send(jsonRequest('POST', '/tasks', { token, body }));
  if (response.status !== 201 || typeof response.json?.id !== 'string') {
    throw new Error(`createTask answered ${response.status}: ${response.text}`);
  }
  return { id: response.json.id, etag: response.headers.get('etag') ?? '', body: response.json };
}

interface ForeignKey {
  child: string;
  childColumn: string;
  parent: string;
  parentColumn: string;
}

/** The single-column foreign keys of the public schema: what each table's rows hang from. */
async function foreignKeys(db: pg.Pool | pg.Client): Promise<ForeignKey[]> {
  const { rows } = await db.query<ForeignKey>(
    `SELECT c.conrelid::regclass::text AS child, a.attname AS "childColumn",
            c.confrelid::regclass::text AS parent, p.attname AS "parentColumn"
     FROM pg_constraint c
     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     JOIN pg_attribute p ON p.attrelid = c.confrelid AND p.attnum = c.confkey[1]
     WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND cardinality(c.conkey) = 1`,
  );
  return rows;
}

/**
 * For every table whose rows hang from `users` through foreign keys (tasks by owner_id, and any
 * table a migration adds), the condition that a row belongs to the users in `$1`.
 */
function ownershipConditions(keys: ForeignKey[]): Map<string, string> {
  const conditions = new Map<string, string>([['users', 'id = ANY($1::uuid[])']]);
  const tables = [...new Set(keys.map((key) => key.child))].filter((table) => table !== 'users');
  // Each pass reaches one more level below users; a chain is at most as long as there are tables.
  for (let pass = 0; pass < tables.length; pass += 1) {
    for (const table of tables) {
      const condition = keys
        .filter((key) => key.child === table && key.parent !== table && conditions.has(key.parent))
        .map(
          (key) =>
            `"${key.childColumn}" IN (SELECT "${key.parentColumn}" FROM ${key.parent} WHERE ${conditions.get(key.parent)})`,
        )
        .join(' OR ');
      if (condition) conditions.set(table, condition);
    }
  }
  return conditions;
}

/**
 * A checksum of every row the given users own — their `users` rows, every row that hangs from
 * them through foreign keys (their tasks, and whatever a new table holds of theirs) and their
 * idempotency keys — with row counts, so that "nothing changed" is one equality.
 */
export async function ownedRows(db: pg.Pool | pg.Client, users: Array<{ id: string; sub: string }>) {
  const conditions = ownershipConditions(await foreignKeys(db));
  const checksum = (table: string, condition: string) =>
    `(SELECT count(*) || ':' || md5(coalesce(string_agg(row_to_json(r)::text, '|' ORDER BY row_to_json(r)::text), ''))
        FROM ${table} r WHERE ${condition}) AS "${table}"`;
  const columns = [...conditions].map(([table, condition]) => checksum(table, condition));
  columns.push(checksum('idempotency_keys', 'scope = ANY($2::text[])'));
  const { rows } = await db.query<Record<string, string>>(`SELECT ${columns.join(',\n')}`, [
    users.map((user) => user.id),
    users.map((user) => user.sub),
  ]);
  return rows[0];
}

/** A pool on the test database for assertions that look at rows directly. */

/** The API behind a local gateway on the test database, and a pool on that database: one file's setup. */
export async function serveSuite(): Promise<{ api: ServedApi; db: pg.Pool }> {
  return { api: await serve(createTestHandler()), db: openDatabase() };
}

export async function closeServedSuite(suite: { api: ServedApi; db: pg.Pool }): Promise<void> {
  await suite.api.close();
  await suite.db.end();
}
