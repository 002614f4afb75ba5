/**
 * Secrets: database password rotation, the CloudFront origin-verify header, and logs that never
 * carry a secret. Secrets Manager is stood in for by an in-memory store behind
 * createSecretReader(fetch) — the injection point the runtime offers — and the database user is a
 * PostgreSQL role this file creates on the test server, whose password the tests change.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import { createSecretReader, type VersionStage } from '../../handlers/runtime/secrets.ts';
import { createContract } from '../support/contract.ts';
import { uniqueEmail } from '../support/factories.ts';
import { type ServedApi, serve, tokenFor } from './support/api.ts';
import { jsonRequest, type RawResponse } from './support/http.ts';

const contract = createContract();
const databaseSecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:taskboard/database-AbCdEf';
const originSecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:taskboard/origin-verify-GhIjKl';
const secretValue = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

/**
 * An in-memory Secrets Manager: versions by stage, and a record of every read. Its reader grants a
 * re-read at once (`minRefreshMs: 0`) unless told otherwise, so rotations need no waiting.
 */
function createSecretStore(options: { minRefreshMs?: number } = {}) {
  const versions = new Map<string, Partial<Record<VersionStage, string>>>();
  const reads: Array<{ arn: string; stage: VersionStage }> = [];
  return {
    reads,
    put(arn: string, value: string) {
      const current = versions.get(arn)?.AWSCURRENT;
      versions.set(arn, { AWSCURRENT: value, ...(current ? { AWSPREVIOUS: current } : {}) });
    },
    reader: createSecretReader({
      fetch: async (arn, stage) => {
        reads.push({ arn, stage });
        return versions.get(arn)?.[stage];
      },
      minRefreshMs: options.minRefreshMs ?? 0,
    }),
  };
}

let admin: pg.Client;
const roles: string[] = [];

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
});

afterAll(async () => {
  for (const role of roles) {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await admin.query(`DROP OWNED BY ${role}`);
    await admin.query(`DROP ROLE ${role}`);
  }
  await admin.end();
});

/** A login role with the application's table privileges, and the secret JSON the runtime reads for it. */
async function createApplicationRole() {
  const role = `taskboard_app_${randomBytes(4).toString('hex')}`;
  const password = secretValue('password-a');
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await admin.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
  roles.push(role);
  const url = new URL(inject('databaseUrl'));
  const secretFor = (pass: string) =>
    JSON.stringify({
      username: role,
      password: pass,
      host: url.hostname,
      port: Number(url.port),
      dbname: url.pathname.slice(1),
    });
  return {
    role,
    password,
    secretFor,
    /** Changes the role's password, as a rotation function's setSecret step does. */
    async changePassword(next: string) {
      await admin.query(`ALTER ROLE ${role} PASSWORD '${next}'`);
    },
    /** Ends the role's open sessions, so the next request needs a new login (a recycled connection, a cold start). */
    async dropSessions() {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE usename = $1', [role]);
        if (rows.length === 0) break;
        await sleep(20);
      }
      // Let the pool see its idle connections close before the next request picks one.
      await sleep(100);
    },
  };
}

/** The API configured as deployed: credentials from the secret (no DATABASE_URL), optionally the origin check. */
async function serveWithSecrets(
  store: ReturnType<typeof createSecretStore>,
  options: { origin?: boolean; logs?: string[]; poolMax?: number } = {},
): Promise<ServedApi> {
  const handler = createApiHandler({
    handlers: operationHandlers,
    config: () =>
      loadConfig({
        DB_SECRET_ARN: databaseSecretArn,
        DB_SSL: 'off',
        DB_CONNECTION_TIMEOUT_MS: '2000',
        LOG_LEVEL: 'debug',
        ...(options.poolMax ? { DB_POOL_MAX: String(options.poolMax) } : {}),
        ...(options.origin ? { ORIGIN_VERIFY_SECRET_ARN: originSecretArn } : {}),
      }),
    secrets: store.reader,
    logSink: (line) => options.logs?.push(line),
  });
  return serve(handler, { maxSockets: 20 });
}

const ok = (response: RawResponse) => response.status >= 200 && response.status < 300;

describe('database password rotation', () => {
  it('when every login fails (the secret and the role disagree), answers 503 to each request and reads the secret once, not once per failure', async () => {
    // Arrange: the production reader (a re-read at most once a minute) and a secret with a wrong password.
    const application = await createApplicationRole();
    const store = createSecretStore({ minRefreshMs: 60_000 });
    store.put(databaseSecretArn, application.secretFor('not-the-password'));
    const api = await serveWithSecrets(store, { poolMax: 1 });
    const token = tokenFor(uniqueEmail('locked-out'));

    // Act
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => api.client.send(jsonRequest('GET', '/users/me', { token }))),
    );
    await api.close();

    // Assert
    expect(new Set(responses.map((response) => response.status))).toEqual(new Set([503]));
    expect(responses.every((response) => /^\d+$/.test(response.headers.get('retry-after') ?? ''))).toBe(true);
    expect(store.reads.filter((read) => read.arn === databaseSecretArn)).toHaveLength(1);
  });

  it.each([
    [1, 'one connection, as on Lambda'],
    [10, 'ten connections, as locally'],
  ])(
    're-reads the secret on the first failed login and answers a burst of 20 requests, none failing (pool of %i: %s)',
    async (poolMax) => {
      // Arrange
      const application = await createApplicationRole();
      const store = createSecretStore();
      store.put(databaseSecretArn, application.secretFor(application.password));
      const logs: string[] = [];
      const api = await serveWithSecrets(store, { logs, poolMax });
      const token = tokenFor(uniqueEmail('rotation'));
      const before = [
        await api.client.send(jsonRequest('POST', '/users', { token })),
        await api.client.send(jsonRequest('POST', '/tasks', { token, body: { title: 'Before rotation' } })),
      ];
      const next = secretValue('password-b');

      // Act: rotate (new password on the role, new AWSCURRENT in the store), then new logins are needed.
      await application.changePassword(next);
      store.put(databaseSecretArn, application.secretFor(next));
      await application.dropSessions();
      const readsBefore = store.reads.filter((read) => read.arn === databaseSecretArn).length;
      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          api.client.send(
            index % 2 === 0
              ? jsonRequest('POST', '/tasks', { token, body: { title: `After rotation ${index}` } })
              : jsonRequest('GET', '/tasks', { token }),
          ),
        ),
      );
      const sequential: RawResponse[] = [];
      for (let index = 0; index < 10; index += 1)
        sequential.push(await api.client.send(jsonRequest('GET', '/users/me', { token })));
      const rereads = store.reads.filter((read) => read.arn === databaseSecretArn).length - readsBefore;
      await api.close();

      // Assert
      expect(before.map((response) => response.status)).toEqual([201, 201]);
      expect(
        burst.filter((response) => !ok(response)).map((response) => `${response.status} ${response.text}`),
      ).toEqual([]);
      expect(sequential.filter((response) => !ok(response))).toEqual([]);
      expect(rereads).toBeGreaterThanOrEqual(1);
      expect(logs.some((line) => line.includes('database login failed; re-reading the secret'))).toBe(true);
    },
  );
});

describe('database secret unavailable', () => {
  it('answers 503 while the secret cannot be read and recovers on the next request once it can', async () => {
    // Arrange: reads fail while Secrets Manager cannot be reached.
    const application = await createApplicationRole();
    const store = createSecretStore();
    store.put(databaseSecretArn, application.secretFor(application.password));
    let reachable = false;
    const flaky = createSecretReader({
      fetch: async (arn, stage) => {
        if (!reachable) throw new Error('connect ETIMEDOUT secretsmanager');
        return store.reader.get(arn, stage);
      },
      failureBackoffMs: 0,
    });
    const handler = createApiHandler({
      handlers: operationHandlers,
      config: () => loadConfig({ DB_SECRET_ARN: databaseSecretArn, DB_SSL: 'off' }),
      secrets: flaky,
      logSink: () => undefined,
    });
    const api = await serve(handler);

    // Act
    const during = await api.client.send(jsonRequest('GET', '/health'));
    reachable = true;
    const after = [];
    for (let attempt = 0; attempt < 3; attempt += 1) after.push(await api.client.send(jsonRequest('GET', '/health')));
    await api.close();

    // Assert
    contract.check('getHealth', during);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(after.map((response) => response.status)).toEqual([200, 200, 200]);
  });
});

describe('origin verify', () => {
  const origin = {
    current: secretValue('origin-current'),
    previous: secretValue('origin-previous'),
  };
  let api: ServedApi;
  let token: string;

  /** A store holding the previous and current origin values, and the API reading it. */
  async function originApi() {
    const application = await createApplicationRole();
    const store = createSecretStore();
    store.put(databaseSecretArn, application.secretFor(application.password));
    store.put(originSecretArn, origin.previous);
    store.put(originSecretArn, origin.current);
    const api = await serveWithSecrets(store, { origin: true });
    const token = tokenFor(uniqueEmail('origin'));
    await api.client.send(jsonRequest('POST', '/users', { token, headers: { 'X-Origin-Verify': origin.current } }));
    return { store, api, token };
  }

  // Shared by the tests that only read it; the rotation test rotates a store of its own.
  beforeAll(async () => {
    ({ api, token } = await originApi());
  });

  afterAll(async () => {
    await api.close();
  });

  const callWith = async (value: string | undefined, through = { api, token }) => {
    const response = await through.api.client.send(
      jsonRequest('GET', '/users/me', {
        token: through.token,
        ...(value === undefined ? {} : { headers: { 'X-Origin-Verify': value } }),
      }),
    );
    contract.check('getCurrentUser', response);
    return response.status;
  };

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a wrong value', secretValue('origin-forged')],
    ['a wrong value of the same length', `${origin.current.slice(0, -1)}${origin.current.endsWith('0') ? '1' : '0'}`],
    ['the current value in upper case', origin.current.toUpperCase()],
  ])('answers 403 problem+json to a request with %s', async (_label, value) => {
    expect(await callWith(value)).toBe(403);
  });

  it('lets requests with the current value through', async () => {
    expect(await callWith(origin.current)).toBe(200);
  });

  it('lets requests with the previous value through while a rotation propagates to CloudFront', async () => {
    expect(await callWith(origin.previous)).toBe(200);
  });

  it('lets a value rotated after it was cached through, by reading the secret once more', async () => {
    // Arrange
    const own = await originApi();
    await callWith(origin.current, own);
    const rotated = secretValue('origin-rotated');
    own.store.put(originSecretArn, rotated);

    // Act
    const status = await callWith(rotated, own);
    await own.api.close();

    // Assert
    expect(status).toBe(200);
  });
});

describe('logs', () => {
  it('never contain a token, the database password, an origin-verify value or a request body', async () => {
    // Arrange: everything secret this run handles, and a marker in every body it sends.
    const application = await createApplicationRole();
    const store = createSecretStore();
    store.put(databaseSecretArn, application.secretFor(application.password));
    const origin = { previous: secretValue('origin-previous'), current: secretValue('origin-current') };
    store.put(originSecretArn, origin.previous);
    store.put(originSecretArn, origin.current);
    const logs: string[] = [];
    const api = await serveWithSecrets(store, { origin: true, logs });
    const marker = `MARKER-${randomUUID()}`;
    const tokens = [tokenFor(uniqueEmail('logged')), tokenFor(uniqueEmail('logged-admin'), ['admin'])];
    const forgedOrigin = secretValue('origin-forged');
    const forgedToken = `${tokens[0]?.slice(0, -8)}AAAAAAAA`;
    const newPassword = secretValue('password-b');
    const send = (request: Parameters<typeof jsonRequest>, originValue = origin.current) => {
      const [method, path, options = {}] = request;
      return api.client.send(
        jsonRequest(method, path, { ...options, headers: { ...options.headers, 'X-Origin-Verify': originValue } }),
      );
    };

    // Act: registrations, writes and reads with the marker, rejected bodies, a forged token, wrong and
    // previous origin values, and a password rotation with its failed login.
    for (const token of tokens) await send(['POST', '/users', { token }]);
    const me = await send(['GET', '/users/me', { token: tokens[0] }]);
    const created = await send(['POST', '/tasks', { token: tokens[0], body: { title: marker, description: marker } }]);
    const taskId = String(created.json?.id);
    await send(['PATCH', `/tasks/${taskId}`, { token: tokens[0], body: { description: `${marker}!` } }]);
    await send(['PUT', `/users/${me.json?.id}`, { token: tokens[0], body: { name: marker } }]);
    await send(['POST', '/tasks', { token: tokens[0], body: { title: marker, unknown: marker } }]);
    await send(['POST', '/tasks', { token: tokens[0], body: { title: `${marker}\u0000` } }]);
    await send(['PATCH', `/tasks/${taskId}`, { token: tokens[0], body: { status: marker } }]);
    await send(['POST', '/tasks', { token: forgedToken, body: { title: marker } }]);
    await send(['GET', '/tasks', { token: tokens[0] }], forgedOrigin);
    await send(['GET', '/tasks', { token: tokens[0] }], origin.previous);
    await application.changePassword(newPassword);
    store.put(databaseSecretArn, application.secretFor(newPassword));
    await application.dropSessions();
    await send(['GET', `/tasks/${taskId}`, { token: tokens[1] }]);
    await send(['POST', '/tasks', { token: tokens[1], body: { title: marker } }]);
    await api.close();

    // Assert
    const secrets = [
      ...tokens,
      ...tokens.map((token) => token.split('.')[2] ?? token),
      forgedToken,
      application.password,
      newPassword,
      origin.current,
      origin.previous,
      forgedOrigin,
      marker,
    ];
    expect(logs.length).toBeGreaterThan(10);
    expect(logs.some((line) => line.includes('database login failed'))).toBe(true);
    expect(logs.filter((line) => line.includes('"message":"request"')).length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(logs.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
