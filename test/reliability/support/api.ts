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

/**
 * A checksum of every row the given users own — their `users` rows, their tasks and their
 * idempotency keys — with row counts, so that "nothing changed" is one equality.
 */
export async function ownedRows(db: pg.Pool | pg.Client, users: Array<{ id: string; sub: string }>) {
  const ids = users.map((user) => user.id);
  const subs = users.map((user) => user.sub);
  const { rows } = await db.query<{ users: string; tasks: string; keys: string }>(
    `SELECT
       (SELECT count(*) || ':' || md5(coalesce(string_agg(row_to_json(u)::text, '|' ORDER BY u.id), ''))
          FROM users u WHERE u.id = ANY($1::uuid[])) AS users,
       (SELECT count(*) || ':' || md5(coalesce(string_agg(row_to_json(t)::text, '|' ORDER BY t.id), ''))
          FROM tasks t WHERE t.owner_id = ANY($1::uuid[])) AS tasks,
       (SELECT count(*) || ':' || md5(coalesce(string_agg(row_to_json(k)::text, '|' ORDER BY k.scope, k.operation_id, k.key), ''))
          FROM idempotency_keys k WHERE k.scope = ANY($2::text[])) AS keys`,
    [ids, subs],
  );
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
