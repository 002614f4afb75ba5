/**
 * Token attacks against every secured operation (`operations[id].secured`), over HTTP through the
 * local API Gateway and its verifier (aws-jwt-verify on the local key set, the checks the Cognito
 * authorizer makes): each forged, stale or misdirected token is answered 401, the Lambda function is
 * never invoked and no row changes — and the same request with a genuine token then succeeds, so the
 * requests were otherwise executable. The function's own check (no verified claims → 401) is proved
 * for every secured operation as well.
 */
import { createHmac, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationResponses } from '../../generated/operations.ts';
import { idTokenClaims, localIssuer, localPool, signJwt } from '../../scripts/local/identity.ts';
import { createContract } from '../support/contract.ts';
import { createProxyEvent, createTestHandler, parseResult, uniqueEmail } from '../support/factories.ts';
import { securedOperationIds } from '../support/operations.ts';
import { createOneOfEach, validRequest } from '../support/spec-requests.ts';
import {
  closeServedSuite,
  keys,
  ownedRows,
  registerUser,
  type ServedApi,
  serveSuite,
  tokenFor,
} from './support/api.ts';
import { jsonRequest } from './support/http.ts';

const contract = createContract();
const securedOperations = securedOperationIds;

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const publicKeyPem = createPublicKey({ key: keys.jwks.keys[0] as never, format: 'jwk' })
  .export({ type: 'spki', format: 'pem' })
  .toString();

/** Each attack: the Authorization header values that carry it for `email` (undefined: no header at all). */
const attacks: Record<string, (email: string) => Array<string | undefined>> = {
  'no token': () => [undefined],
  'a malformed token': (email) => [
    'Bearer',
    'Bearer not-a-jwt',
    'Bearer a.b.c',
    `Bearer ${tokenFor(email).split('.').slice(0, 2).join('.')}`,
    `Bearer ${tokenFor(email).slice(0, -4)}AAAA`,
    'Basic dXNlcjpwYXNzd29yZA==',
  ],
  'an expired token': (email) => [
    `Bearer ${signJwt(
      { kid: keys.kid, alg: 'RS256' },
      idTokenClaims(email, { now: new Date(Date.now() - 2 * 3600_000), lifetimeSeconds: 3600 }),
      keys.privateKey,
    )}`,
  ],
  'a token not valid yet (nbf)': (email) => [
    `Bearer ${signJwt(
      { kid: keys.kid, alg: 'RS256' },
      { ...idTokenClaims(email), nbf: seconds(new Date()) + 3600 },
      keys.privateKey,
    )}`,
  ],
  'a token from another issuer': (email) => [
    `Bearer ${signJwt(
      { kid: keys.kid, alg: 'RS256' },
      { ...idTokenClaims(email), iss: `${localIssuer.replace(/_[A-Za-z0-9]+$/, '')}_Attacker1` },
      keys.privateKey,
    )}`,
  ],
  'a token for another app client': (email) => [
    `Bearer ${signJwt({ kid: keys.kid, alg: 'RS256' }, { ...idTokenClaims(email), aud: 'attackerclient0000000000000' }, keys.privateKey)}`,
  ],
  'an access token instead of an ID token': (email) => {
    const { aud: _aud, email: _email, name: _name, ...claims } = idTokenClaims(email);
    const access = {
      ...claims,
      token_use: 'access',
      client_id: localPool.clientId,
      scope: 'aws.cognito.signin.user.admin',
    };
    return [`Bearer ${signJwt({ kid: keys.kid, alg: 'RS256' }, access, keys.privateKey)}`];
  },
  'alg none': (email) => [
    `Bearer ${base64url({ kid: keys.kid, alg: 'none' })}.${base64url(idTokenClaims(email))}.`,
    `Bearer ${base64url({ kid: keys.kid, alg: 'none', typ: 'JWT' })}.${base64url(idTokenClaims(email))}`,
  ],
  'HS256 signed with the public key': (email) => {
    const input = `${base64url({ kid: keys.kid, alg: 'HS256' })}.${base64url(idTokenClaims(email))}`;
    return [`Bearer ${input}.${createHmac('sha256', publicKeyPem).update(input).digest('base64url')}`];
  },
  'a tampered payload': (email) => {
    const [header, , signature] = tokenFor(email).split('.');
    const escalated = { ...idTokenClaims(email), 'cognito:groups': ['admin'], name: 'Mallory' };
    return [`Bearer ${header}.${base64url(escalated)}.${signature}`];
  },
  'an unknown kid': (email) => [
    `Bearer ${signJwt({ kid: randomUUID(), alg: 'RS256' }, idTokenClaims(email), strangerKey)}`,
    `Bearer ${signJwt({ kid: keys.kid, alg: 'RS256' }, idTokenClaims(email), strangerKey)}`,
  ],
};

let api: ServedApi;
let db: pg.Pool;

beforeAll(async () => {
  ({ api, db } = await serveSuite());
});

afterAll(() => closeServedSuite({ api, db }));

describe.each(securedOperations)('%s', (operationId) => {
  it.each(Object.keys(attacks))('answers 401 to %s, invokes no function and changes no row', async (attack) => {
    // Arrange: an administrator with one of everything the spec's paths name (so the spec-made
    // request would succeed for them), and a not-yet-registered newcomer whose registration the
    // registerUser attacks attempt.
    const victim = await registerUser(api.client, 'victim', ['admin']);
    const owned = await createOneOfEach((request) =>
      api.client.send(jsonRequest(request.method, request.path, { body: request.body, token: victim.token })),
    );
    const newcomer = uniqueEmail('newcomer');
    const email = operationId === 'registerUser' ? newcomer : victim.email;
    const { method, path, body } = validRequest(operationId, owned);
    const rowsBefore = await ownedRows(db, [victim]);
    const invocationsBefore = api.invocations();

    // Act
    const responses = [];
    for (const authorization of (attacks[attack] as (email: string) => Array<string | undefined>)(email)) {
      const request = jsonRequest(method, path, { body });
      if (authorization !== undefined) request.headers = { ...request.headers, Authorization: authorization };
      responses.push(await api.client.send(request));
    }
    const invocations = api.invocations() - invocationsBefore;
    const rowsAfter = await ownedRows(db, [victim]);
    const newcomerRows = await db.query('SELECT 1 FROM users WHERE email = $1', [newcomer]);
    const genuine = await api.client.send(
      jsonRequest(method, path, { body, token: operationId === 'registerUser' ? tokenFor(newcomer) : victim.token }),
    );

    // Assert
    for (const response of responses) {
      contract.check(operationId, response);
      expect(response.status).toBe(401);
      expect(response.json).toEqual({ message: 'Unauthorized' });
    }
    expect(invocations).toBe(0);
    expect(rowsAfter).toEqual(rowsBefore);
    expect(newcomerRows.rowCount).toBe(0);
    expect(genuine.status).toBe(
      operationResponses[operationId].successStatuses[operationId === 'registerUser' ? 1 : 0],
    );
  });

  it('is answered 401 problem+json by the function itself when it is reached without verified claims', async () => {
    // Arrange
    const handler = createTestHandler();
    const { method, path, body } = validRequest(operationId);

    // Act
    const withoutClaims = await handler(createProxyEvent({ method, path, body }));
    const withoutSubject = await handler(createProxyEvent({ method, path, body, claims: { email: 'x@example.com' } }));
    await handler.close();

    // Assert
    for (const result of [withoutClaims, withoutSubject]) {
      const response = parseResult(result);
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toBe('application/problem+json');
      contract.check(operationId, {
        status: result.statusCode,
        headers: new Headers(response.headers),
        text: result.body,
      });
    }
  });
});
