/**
 * The local stand-in for the Cognito user pool: an RSA key set kept under .local/ (git-ignored),
 * ID tokens with the claims Cognito puts in them, and the verifier the local gateway uses — the
 * same aws-jwt-verify CognitoJwtVerifier the deployed authorizer's checks mirror, with the local
 * key set cached and network fetches refused.
 */
import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { Jwk, Jwks } from 'aws-jwt-verify/jwk';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';

export const localPool = {
  region: 'us-east-1',
  userPoolId: 'us-east-1_TaskbdLocal',
  clientId: 'taskboardlocalclient000000',
} as const;

export const localIssuer = `https://cognito-idp.${localPool.region}.amazonaws.com/${localPool.userPoolId}`;

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const defaultKeyFile = path.join(projectRoot, '.local', 'keys', 'local-signing-key.json');

export interface LocalKeySet {
  kid: string;
  privateKey: KeyObject;
  jwks: Jwks;
}

/** Loads the local signing key, creating it on first use (written atomically, so concurrent first runs agree). */
export function loadLocalKeySet(file: string = defaultKeyFile): LocalKeySet {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
    const scratch = `${file}.${process.pid}.tmp`;
    writeFileSync(scratch, JSON.stringify(jwk), { mode: 0o600 });
    if (!existsSync(file)) renameSync(scratch, file);
  }
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as Jwk & { n: string; e: string; kid: string };
  const privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
  const publicJwk: Jwk = { kty: 'RSA', kid: jwk.kid, alg: 'RS256', use: 'sig', n: jwk.n, e: jwk.e };
  return { kid: jwk.kid, privateKey, jwks: { keys: [publicJwk] } };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a JWT with RS256. Tests use it directly to forge tokens the verifier must reject. */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), key).toString('base64url')}`;
}

/** A stable Cognito-style `sub` for an email, so a user keeps their identity across token requests and restarts. */
export function localSubject(email: string): string {
  const hex = createHash('sha256').update(`taskboard-local:${email.toLowerCase()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Emails whose local tokens carry the Cognito group `admin`. */
export const localAdmins = new Set(['alice@example.com']);

export interface IdTokenOptions {
  groups?: string[];
  name?: string;
  phoneNumber?: string;
  lifetimeSeconds?: number;
  now?: Date;
}

/** The claims of a Cognito ID token for `email` (user pool with email as the sign-in alias). */
export function idTokenClaims(email: string, options: IdTokenOptions = {}): Record<string, unknown> {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const sub = localSubject(email);
  const groups = options.groups ?? (localAdmins.has(email.toLowerCase()) ? ['admin'] : []);
  const localPart = email.split('@')[0] ?? email;
  return {
    sub,
    ...(groups.length > 0 ? { 'cognito:groups': groups } : {}),
    email_verified: true,
    iss: localIssuer,
    'cognito:username': sub,
    origin_jti: randomUUID(),
    aud: localPool.clientId,
    event_id: randomUUID(),
    token_use: 'id',
    auth_time: now,
    name: options.name ?? localPart.charAt(0).toUpperCase() + localPart.slice(1),
    ...(options.phoneNumber ? { phone_number: options.phoneNumber } : {}),
    exp: now + (options.lifetimeSeconds ?? 3600),
    iat: now,
    jti: randomUUID(),
    email,
  };
}

/** A signed local ID token for `email`. */
export function issueIdToken(
  email: string,
  options: IdTokenOptions = {},
  keys: LocalKeySet = loadLocalKeySet(),
): string {
  return signJwt({ kid: keys.kid, alg: 'RS256' }, idTokenClaims(email, options), keys.privateKey);
}

/**
 * A Cognito ID-token verifier for the local pool: issuer, audience (client id), `token_use: id`,
 * expiry, not-before and signature are checked by aws-jwt-verify; its key set is the local one
 * and it never goes to the network (an unknown `kid` simply fails). With `tokenUse: 'access'` it
 * checks access tokens instead (`client_id` in place of `aud`), as the local sign-in's userInfo does.
 */
export function createLocalVerifier(keys: LocalKeySet = loadLocalKeySet(), tokenUse: 'id' | 'access' = 'id') {
  const refuseNetwork = {
    fetch: async (uri: string): Promise<ArrayBuffer> => {
      if (uri === `${localIssuer}/.well-known/jwks.json`) {
        return new TextEncoder().encode(JSON.stringify(keys.jwks)).buffer as ArrayBuffer;
      }
      throw new Error(`The local verifier does not fetch ${uri}`);
    },
  };
  const verifier = CognitoJwtVerifier.create(
    { userPoolId: localPool.userPoolId, tokenUse, clientId: localPool.clientId },
    { jwksCache: new SimpleJwksCache({ fetcher: refuseNetwork }) },
  );
  verifier.cacheJwks(keys.jwks);
  return verifier;
}
