import { createHmac, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  JwtExpiredError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  KidNotFoundInJwksError,
} from 'aws-jwt-verify/error';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalVerifier,
  idTokenClaims,
  issueIdToken,
  type LocalKeySet,
  loadLocalKeySet,
  localIssuer,
  localPool,
  signJwt,
} from '../../scripts/local/identity.ts';

let keyDir: string;
let keys: LocalKeySet;

beforeAll(() => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'taskboard-identity-'));
  keys = loadLocalKeySet(path.join(keyDir, 'signing-key.json'));
});

afterAll(() => {
  rmSync(keyDir, { recursive: true, force: true });
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));

/** A token signed with the local key whose claims are a valid ID token's, changed by `changes`. */
const signedWith = (changes: Record<string, unknown>) =>
  signJwt({ kid: keys.kid, alg: 'RS256' }, { ...idTokenClaims('mallory@example.com'), ...changes }, keys.privateKey);

describe('local identity', () => {
  describe('issueIdToken', () => {
    it('when a token is issued, the local verifier accepts it and it has the Cognito ID-token shape', async () => {
      // Arrange
      const verifier = createLocalVerifier(keys);

      // Act
      const token = issueIdToken('bob@example.com', {}, keys);
      const payload = await verifier.verify(token);

      // Assert
      expect(payload).toMatchObject({
        token_use: 'id',
        aud: localPool.clientId,
        iss: localIssuer,
        email: 'bob@example.com',
        email_verified: true,
      });
      expect(localIssuer).toBe(`https://cognito-idp.${localPool.region}.amazonaws.com/${localPool.userPoolId}`);
      expect(payload.exp).toBeGreaterThan(payload.iat);
      expect(payload['cognito:groups']).toBeUndefined();
    });

    it('when the token is for alice@example.com, it carries the admin group', async () => {
      // Arrange
      const verifier = createLocalVerifier(keys);

      // Act
      const payload = await verifier.verify(issueIdToken('alice@example.com', {}, keys));

      // Assert
      expect(payload['cognito:groups']).toEqual(['admin']);
    });

    it('when two tokens are issued for one email, they carry the same sub; another email gets another sub', () => {
      // Arrange
      const email = `same-${randomUUID()}@example.com`;

      // Act
      const first = payloadOf(issueIdToken(email, {}, keys));
      const second = payloadOf(issueIdToken(email.toUpperCase(), {}, keys));
      const other = payloadOf(issueIdToken(`other-${randomUUID()}@example.com`, {}, keys));

      // Assert
      expect(first.sub).toBe(second.sub);
      expect(first.jti).not.toBe(second.jti);
      expect(other.sub).not.toBe(first.sub);
    });

    it('when the key file exists, loading it again gives the same key', () => {
      // Arrange
      const file = path.join(keyDir, 'signing-key.json');

      // Act
      const again = loadLocalKeySet(file);

      // Assert
      expect(again.kid).toBe(keys.kid);
      expect(again.jwks).toEqual(keys.jwks);
    });
  });

  describe('createLocalVerifier', () => {
    it('when a token is signed with the local key and valid claims, accepts it (baseline for the rejections)', async () => {
      // Arrange
      const verifier = createLocalVerifier(keys);
      const token = signedWith({});

      // Act
      const payload = await verifier.verify(token);

      // Assert
      expect(payload.email).toBe('mallory@example.com');
    });

    it.each([
      ['expired', () => ({ exp: nowSeconds() - 60, iat: nowSeconds() - 3660 }), JwtExpiredError],
      ['not yet valid (nbf in the future)', () => ({ nbf: nowSeconds() + 600 }), JwtNotBeforeError],
      [
        'from another user pool',
        () => ({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' }),
        /issuer not configured/,
      ],
      ['for another app client', () => ({ aud: 'someotherclient' }), CognitoJwtInvalidClientIdError],
      ['an access token', () => ({ token_use: 'access' }), CognitoJwtInvalidTokenUseError],
    ])('when the token is %s, rejects it', async (_case, changes, expectedError) => {
      // Arrange
      const verifier = createLocalVerifier(keys);
      const token = signedWith(changes());

      // Act
      const verification = verifier.verify(token);

      // Assert
      await expect(verification).rejects.toThrow(expectedError);
    });

    it.each([
      ['an empty signature', '', JwtParseError],
      ['a junk signature', 'c2lnbmF0dXJl', JwtInvalidSignatureAlgorithmError],
    ])('when the token is unsigned (alg none) with %s, rejects it', async (_case, signature, expectedError) => {
      // Arrange
      const verifier = createLocalVerifier(keys);
      const unsigned = `${segment({ kid: keys.kid, alg: 'none' })}.${segment(idTokenClaims('mallory@example.com'))}`;

      // Act
      const verification = verifier.verify(`${unsigned}.${signature}`);

      // Assert
      await expect(verification).rejects.toThrow(expectedError);
    });

    it('when the token is HS256-signed with the public key as the secret, rejects it', async () => {
      // Arrange
      const verifier = createLocalVerifier(keys);
      const publicPem = createPublicKey(keys.privateKey).export({ format: 'pem', type: 'spki' });
      const signingInput = `${segment({ kid: keys.kid, alg: 'HS256' })}.${segment(idTokenClaims('mallory@example.com'))}`;
      const signature = createHmac('sha256', publicPem).update(signingInput).digest('base64url');

      // Act
      const verification = verifier.verify(`${signingInput}.${signature}`);

      // Assert
      await expect(verification).rejects.toThrow(JwtInvalidSignatureAlgorithmError);
    });

    it('when the payload was changed after signing, rejects the signature', async () => {
      // Arrange
      const verifier = createLocalVerifier(keys);
      const [header, , signature] = issueIdToken('mallory@example.com', {}, keys).split('.');
      const promoted = segment({ ...idTokenClaims('mallory@example.com'), 'cognito:groups': ['admin'] });

      // Act
      const verification = verifier.verify(`${header}.${promoted}.${signature}`);

      // Assert
      await expect(verification).rejects.toThrow(JwtInvalidSignatureError);
    });

    it('when the token is signed with a key the local key set does not hold, rejects it', async () => {
      // Arrange
      const verifier = createLocalVerifier(keys);
      const { privateKey: strangerKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const token = signJwt({ kid: randomUUID(), alg: 'RS256' }, idTokenClaims('mallory@example.com'), strangerKey);

      // Act
      const verification = verifier.verify(token);

      // Assert
      await expect(verification).rejects.toThrow(KidNotFoundInJwksError);
    });

    it('when a token uses the local kid but another key signed it, rejects the signature', async () => {
      // Arrange
      const verifier = createLocalVerifier(keys);
      const { privateKey: strangerKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const token = signJwt({ kid: keys.kid, alg: 'RS256' }, idTokenClaims('mallory@example.com'), strangerKey);

      // Act
      const verification = verifier.verify(token);

      // Assert
      await expect(verification).rejects.toThrow(JwtInvalidSignatureError);
    });

    it('when the token is not a JWT, rejects it', async () => {
      // Arrange
      const verifier = createLocalVerifier(keys);

      // Act
      const verification = verifier.verify('not.a.jwt');

      // Assert
      await expect(verification).rejects.toThrow(JwtParseError);
    });
  });
});
