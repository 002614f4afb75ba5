/**
 * The local sign-in (scripts/local/sign-in.ts), driven as a function of requests: Cognito's managed
 * login code flow with PKCE, its session cookie and sign-out, and each request Cognito refuses.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalVerifier,
  type LocalKeySet,
  loadLocalKeySet,
  localIssuer,
  localPool,
} from '../../scripts/local/identity.ts';
import {
  createSignIn,
  type LocalSignIn,
  lifetimes,
  localAppConfig,
  localClient,
  postmanCallbackUrl,
  type SignInRequest,
  type SignInResponse,
  sessionCookie,
} from '../../scripts/local/sign-in.ts';

const origin = 'http://localhost:3001';
const appUrl = 'http://localhost:3000/app/';
const clientId = localPool.clientId;

let keyDir: string;
let keys: LocalKeySet;
let clock: number;
let signIn: LocalSignIn;

beforeAll(() => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'taskboard-sign-in-'));
  keys = loadLocalKeySet(path.join(keyDir, 'signing-key.json'));
});

afterAll(() => {
  rmSync(keyDir, { recursive: true, force: true });
});

beforeEach(() => {
  clock = Date.now();
  signIn = createSignIn({ origin, clients: [localClient(3000)], keys, now: () => clock });
});

const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

function request(method: string, url: string, options: Partial<SignInRequest> = {}): Promise<SignInResponse> {
  return signIn.handle({ method, url, headers: options.headers ?? {}, body: options.body ?? '' });
}

const form = (values: Record<string, string>) => new URLSearchParams(values).toString();
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeQuery(overrides: Record<string, string | undefined> = {}, challenge = pkce().challenge) {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: appUrl,
    scope: 'openid email profile',
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  return query.toString();
}

const cookieFrom = (response: SignInResponse) => response.headers['Set-Cookie']?.split(';')[0] ?? '';

/** Signs in on the page as `email`; returns the code, the redirect and the session cookie. */
async function signInAs(email: string, query = authorizeQuery()) {
  const response = await request('POST', `/login?${query}`, { headers: formHeaders, body: form({ email }) });
  const location = new URL(response.headers.Location ?? 'about:blank');
  return { response, location, code: location.searchParams.get('code') ?? '', cookie: cookieFrom(response) };
}

function redeem(values: Record<string, string>, headers: Record<string, string> = {}) {
  return request('POST', '/oauth2/token', {
    headers: { ...formHeaders, ...headers },
    body: form({ grant_type: 'authorization_code', client_id: clientId, redirect_uri: appUrl, ...values }),
  });
}

/** A code issued with PKCE, and the verifier that redeems it. */
async function issuedCode(email = 'bob@example.com') {
  const { verifier, challenge } = pkce();
  const { code } = await signInAs(email, authorizeQuery({}, challenge));
  return { code, verifier };
}

const bodyOf = (response: SignInResponse) => JSON.parse(response.body) as Record<string, string>;

describe('local sign-in', () => {
  describe('GET /oauth2/authorize', () => {
    it('without a session, sends the browser to the sign-in page with the same parameters', async () => {
      // Arrange
      const query = authorizeQuery();

      // Act
      const response = await request('GET', `/oauth2/authorize?${query}`);

      // Assert
      expect(response.status).toBe(302);
      expect(response.headers.Location).toBe(`/login?${query}`);
    });

    it('shows a page with a labelled Email field and a Sign in button, and no script', async () => {
      // Act
      const response = await request('GET', `/login?${authorizeQuery()}`);

      // Assert
      expect(response.status).toBe(200);
      expect(response.body).toMatch(/<label for="email">Email<\/label>\s*<input id="email" name="email" type="email"/);
      expect(response.body).toContain('<button type="submit">Sign in</button>');
      expect(response.body).not.toContain('<script');
      expect(response.headers['Content-Security-Policy']).toContain("default-src 'none'");
    });

    it('with an email, redirects to the app with a code and the state, and sets the session cookie', async () => {
      // Act
      const { response, location, code, cookie } = await signInAs('bob@example.com');

      // Assert
      expect(response.status).toBe(302);
      expect(`${location.origin}${location.pathname}`).toBe(appUrl);
      expect(location.searchParams.get('state')).toBe('state-1');
      expect(code).not.toBe('');
      expect(cookie).toMatch(new RegExp(`^${sessionCookie}=.+`));
      expect(response.headers['Set-Cookie']).toContain('HttpOnly');
    });

    it('with something that is not an email, shows the page again with the error on the field', async () => {
      // Act
      const response = await request('POST', `/login?${authorizeQuery()}`, {
        headers: formHeaders,
        body: form({ email: 'not an email' }),
      });

      // Assert
      expect(response.status).toBe(400);
      expect(response.headers.Location).toBeUndefined();
      expect(response.body).toContain('aria-invalid="true" aria-describedby="email-error"');
      expect(response.body).toContain('id="email-error"');
    });

    it('while the session lasts, a second authorize skips the page and redirects with a new code', async () => {
      // Arrange
      const first = await signInAs('bob@example.com');

      // Act
      const second = await request('GET', `/oauth2/authorize?${authorizeQuery({ state: 'state-2' })}`, {
        headers: { cookie: first.cookie },
      });

      // Assert
      const location = new URL(second.headers.Location ?? 'about:blank');
      expect(`${location.origin}${location.pathname}`).toBe(appUrl);
      expect(location.searchParams.get('state')).toBe('state-2');
      expect(location.searchParams.get('code')).not.toBe(first.code);
    });

    it('once the session has expired, asks again', async () => {
      // Arrange
      const { cookie } = await signInAs('bob@example.com');
      clock += lifetimes.sessionSeconds * 1000 + 1;

      // Act
      const response = await request('GET', `/oauth2/authorize?${authorizeQuery()}`, { headers: { cookie } });

      // Assert
      expect(response.headers.Location).toMatch(/^\/login\?/);
    });

    it('refuses an unregistered redirect_uri with an error page, never redirecting to it', async () => {
      // Act
      const response = await request(
        'GET',
        `/oauth2/authorize?${authorizeQuery({ redirect_uri: 'https://evil.example.com/app/' })}`,
      );

      // Assert
      expect(response.status).toBe(400);
      expect(response.headers.Location).toBeUndefined();
      expect(response.body).toContain('error=redirect_mismatch');
    });

    it('refuses a redirect_uri that differs from a registered one only by its trailing slash', async () => {
      // Act
      const response = await request(
        'GET',
        `/oauth2/authorize?${authorizeQuery({ redirect_uri: 'http://localhost:3000/app' })}`,
      );

      // Assert
      expect(response.status).toBe(400);
      expect(response.headers.Location).toBeUndefined();
    });

    it('refuses an unknown client_id with an error page, never redirecting', async () => {
      // Act
      const response = await request('GET', `/oauth2/authorize?${authorizeQuery({ client_id: 'someotherclient' })}`);

      // Assert
      expect(response.status).toBe(400);
      expect(response.headers.Location).toBeUndefined();
      expect(response.body).toContain('error=invalid_client');
    });

    it('refuses an unknown client_id on the sign-in page too', async () => {
      // Act
      const response = await request('POST', `/login?${authorizeQuery({ client_id: 'someotherclient' })}`, {
        headers: formHeaders,
        body: form({ email: 'bob@example.com' }),
      });

      // Assert
      expect(response.status).toBe(400);
      expect(response.headers.Location).toBeUndefined();
      expect(response.headers['Set-Cookie']).toBeUndefined();
    });

    it.each([
      ['a code_challenge_method other than S256', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['a code_challenge without its method', { code_challenge_method: undefined }, 'invalid_request'],
      ['the implicit grant', { response_type: 'token' }, 'unauthorized_client'],
      ['a scope the client is not allowed', { scope: 'openid aws.cognito.signin.user.admin' }, 'invalid_scope'],
    ])('with %s, sends the error back to the registered redirect URI with the state', async (_, overrides, error) => {
      // Act
      const response = await request('GET', `/oauth2/authorize?${authorizeQuery(overrides)}`);

      // Assert
      const location = new URL(response.headers.Location ?? 'about:blank');
      expect(`${location.origin}${location.pathname}`).toBe(appUrl);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('state-1');
      expect(location.searchParams.get('code')).toBeNull();
    });

    it('accepts the Vite dev server and Postman as redirect URIs', async () => {
      for (const redirectUri of ['http://localhost:5173/app/', postmanCallbackUrl]) {
        // Act
        const { location } = await signInAs('bob@example.com', authorizeQuery({ redirect_uri: redirectUri }));

        // Assert
        expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
      }
    });
  });

  describe('POST /oauth2/token', () => {
    it('redeems a code with its PKCE verifier for ID, access and refresh tokens', async () => {
      // Arrange
      const { code, verifier } = await issuedCode('bob@example.com');

      // Act
      const response = await redeem({ code, code_verifier: verifier });

      // Assert
      expect(response.status).toBe(200);
      expect(response.headers['Cache-Control']).toBe('no-store');
      const body = bodyOf(response);
      expect(Object.keys(body).sort()).toEqual([
        'access_token',
        'expires_in',
        'id_token',
        'refresh_token',
        'token_type',
      ]);
      expect(body.token_type).toBe('Bearer');
      expect(body.expires_in).toBe(lifetimes.tokenSeconds);
    });

    it('issues an ID token the local verifier accepts, with the nonce, and an access token it refuses', async () => {
      // Arrange
      const { code, verifier } = await issuedCode('bob@example.com');
      const idVerifier = createLocalVerifier(keys);

      // Act
      const body = bodyOf(await redeem({ code, code_verifier: verifier }));

      // Assert
      const claims = await idVerifier.verify(body.id_token ?? '');
      expect(claims).toMatchObject({ email: 'bob@example.com', token_use: 'id', iss: localIssuer, nonce: 'nonce-1' });
      expect(claims['cognito:groups']).toBeUndefined();
      await expect(idVerifier.verify(body.access_token ?? '')).rejects.toThrow();
      expect(payloadOf(body.access_token ?? '')).toMatchObject({ token_use: 'access', client_id: clientId });
    });

    it('puts alice@example.com in the admin group', async () => {
      // Arrange
      const { code, verifier } = await issuedCode('alice@example.com');

      // Act
      const body = bodyOf(await redeem({ code, code_verifier: verifier }));

      // Assert
      expect(payloadOf(body.id_token ?? '')['cognito:groups']).toEqual(['admin']);
    });

    it('refuses a wrong code_verifier', async () => {
      // Arrange
      const { code } = await issuedCode();

      // Act
      const response = await redeem({ code, code_verifier: pkce().verifier });

      // Assert
      expect(response.status).toBe(400);
      expect(bodyOf(response)).toEqual({ error: 'invalid_grant' });
    });

    it('refuses a missing code_verifier when the code was issued with a challenge', async () => {
      // Arrange
      const { code } = await issuedCode();

      // Act
      const response = await redeem({ code });

      // Assert
      expect(response.status).toBe(400);
      expect(bodyOf(response)).toEqual({ error: 'invalid_request' });
    });

    it('refuses a code used before, and revokes the refresh token its first use gave', async () => {
      // Arrange
      const { code, verifier } = await issuedCode();
      const first = bodyOf(await redeem({ code, code_verifier: verifier }));

      // Act
      const again = await redeem({ code, code_verifier: verifier });
      const refreshed = await request('POST', '/oauth2/token', {
        headers: formHeaders,
        body: form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: first.refresh_token ?? '' }),
      });

      // Assert
      expect(again.status).toBe(400);
      expect(bodyOf(again)).toEqual({ error: 'invalid_grant' });
      expect(bodyOf(refreshed)).toEqual({ error: 'invalid_grant' });
    });

    it('refuses a code that failed once (one attempt per code)', async () => {
      // Arrange
      const { code, verifier } = await issuedCode();
      await redeem({ code, code_verifier: 'wrong'.repeat(10) });

      // Act
      const response = await redeem({ code, code_verifier: verifier });

      // Assert
      expect(bodyOf(response)).toEqual({ error: 'invalid_grant' });
    });

    it('refuses an expired code (older than five minutes)', async () => {
      // Arrange
      const { code, verifier } = await issuedCode();
      clock += lifetimes.codeSeconds * 1000 + 1;

      // Act
      const response = await redeem({ code, code_verifier: verifier });

      // Assert
      expect(response.status).toBe(400);
      expect(bodyOf(response)).toEqual({ error: 'invalid_grant' });
    });

    it('refuses a code redeemed with another redirect_uri than the one it was issued for', async () => {
      // Arrange
      const { code, verifier } = await issuedCode();

      // Act
      const response = await redeem({ code, code_verifier: verifier, redirect_uri: 'http://localhost:5173/app/' });

      // Assert
      expect(bodyOf(response)).toEqual({ error: 'invalid_grant' });
    });

    it('refuses an unknown client_id', async () => {
      // Arrange
      const { code, verifier } = await issuedCode();

      // Act
      const response = await redeem({ code, code_verifier: verifier, client_id: 'someotherclient' });

      // Assert
      expect(response.status).toBe(400);
      expect(bodyOf(response)).toEqual({ error: 'invalid_client' });
    });

    it('refuses an unknown code, an unsupported grant type and a JSON body', async () => {
      // Act
      const unknown = await redeem({ code: 'not-a-code', code_verifier: pkce().verifier });
      const grant = await redeem({ grant_type: 'password' });
      const jsonBody = await request('POST', '/oauth2/token', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'authorization_code' }),
      });

      // Assert
      expect(bodyOf(unknown)).toEqual({ error: 'invalid_grant' });
      expect(bodyOf(grant)).toEqual({ error: 'unsupported_grant_type' });
      expect(bodyOf(jsonBody)).toEqual({ error: 'invalid_request' });
    });

    it('refreshes: new ID and access tokens for the same user, no new refresh token (as Cognito)', async () => {
      // Arrange
      const { code, verifier } = await issuedCode('bob@example.com');
      const first = bodyOf(await redeem({ code, code_verifier: verifier }));
      clock += 60_000;

      // Act
      const response = await request('POST', '/oauth2/token', {
        headers: formHeaders,
        body: form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: first.refresh_token ?? '' }),
      });

      // Assert
      const body = bodyOf(response);
      expect(response.status).toBe(200);
      expect(body.refresh_token).toBeUndefined();
      expect(body.id_token).not.toBe(first.id_token);
      expect(payloadOf(body.id_token ?? '')).toMatchObject({ email: 'bob@example.com' });
      expect(await createLocalVerifier(keys).verify(body.id_token ?? '')).toBeTruthy();
    });

    it('refuses an unknown or revoked refresh token', async () => {
      // Arrange
      const { code, verifier } = await issuedCode();
      const { refresh_token: refreshToken = '' } = bodyOf(await redeem({ code, code_verifier: verifier }));
      await request('POST', '/oauth2/revoke', {
        headers: formHeaders,
        body: form({ client_id: clientId, token: refreshToken }),
      });
      const refresh = (token: string) =>
        request('POST', '/oauth2/token', {
          headers: formHeaders,
          body: form({ grant_type: 'refresh_token', client_id: clientId, refresh_token: token }),
        });

      // Act
      const revoked = await refresh(refreshToken);
      const unknown = await refresh('not-a-refresh-token');

      // Assert
      expect(bodyOf(revoked)).toEqual({ error: 'invalid_grant' });
      expect(bodyOf(unknown)).toEqual({ error: 'invalid_grant' });
    });

    it("lets the app's origins read the answer cross-origin, and no other origin", async () => {
      // Arrange
      const { code, verifier } = await issuedCode();

      // Act
      const fromApp = await redeem({ code, code_verifier: verifier }, { origin: 'http://localhost:5173' });
      const fromElsewhere = await redeem(
        { code: 'x', code_verifier: verifier },
        { origin: 'https://evil.example.com' },
      );
      const preflight = await request('OPTIONS', '/oauth2/token', { headers: { origin: 'http://localhost:3000' } });

      // Assert
      expect(fromApp.headers['Access-Control-Allow-Origin']).toBe('http://localhost:5173');
      expect(fromElsewhere.headers['Access-Control-Allow-Origin']).toBeUndefined();
      expect(preflight.status).toBe(204);
      expect(preflight.headers['Access-Control-Allow-Origin']).toBe('http://localhost:3000');
      expect(preflight.headers['Access-Control-Allow-Headers']).toContain('Content-Type');
    });
  });

  describe('GET /logout', () => {
    it('ends the session and redirects to the logout URI; the next authorize asks again', async () => {
      // Arrange
      const { cookie } = await signInAs('bob@example.com');

      // Act
      const response = await request('GET', `/logout?${form({ client_id: clientId, logout_uri: appUrl })}`, {
        headers: { cookie },
      });
      const next = await request('GET', `/oauth2/authorize?${authorizeQuery()}`, { headers: { cookie } });

      // Assert
      expect(response.status).toBe(302);
      expect(response.headers.Location).toBe(appUrl);
      expect(response.headers['Set-Cookie']).toContain('Max-Age=0');
      expect(next.headers.Location).toMatch(/^\/login\?/);
    });

    it('refuses an unregistered logout_uri with an error page, keeping the session', async () => {
      // Arrange
      const { cookie } = await signInAs('bob@example.com');

      // Act
      const response = await request(
        'GET',
        `/logout?${form({ client_id: clientId, logout_uri: 'https://evil.example.com/' })}`,
        { headers: { cookie } },
      );
      const next = await request('GET', `/oauth2/authorize?${authorizeQuery()}`, { headers: { cookie } });

      // Assert
      expect(response.status).toBe(400);
      expect(response.headers.Location).toBeUndefined();
      expect(response.body).toContain('error=redirect_mismatch');
      expect(next.headers.Location).toMatch(/^http:\/\/localhost:3000\/app\/\?code=/);
    });

    it('refuses an unknown client_id with an error page', async () => {
      // Act
      const response = await request('GET', `/logout?${form({ client_id: 'someotherclient', logout_uri: appUrl })}`);

      // Assert
      expect(response.status).toBe(400);
      expect(response.headers.Location).toBeUndefined();
      expect(response.body).toContain('error=invalid_client');
    });

    it("does not take Postman's callback as a logout URI (it is registered as a redirect URI only)", async () => {
      // Act
      const response = await request('GET', `/logout?${form({ client_id: clientId, logout_uri: postmanCallbackUrl })}`);

      // Assert
      expect(response.status).toBe(400);
    });
  });

  describe('discovery, keys and userInfo', () => {
    it('names the issuer the tokens carry and endpoints on the sign-in origin, and no end_session_endpoint', async () => {
      // Act
      const response = await request('GET', '/.well-known/openid-configuration');

      // Assert
      const discovery = bodyOf(response);
      expect(discovery.issuer).toBe(localIssuer);
      expect(discovery.authorization_endpoint).toBe(`${origin}/oauth2/authorize`);
      expect(discovery.token_endpoint).toBe(`${origin}/oauth2/token`);
      expect(discovery.userinfo_endpoint).toBe(`${origin}/oauth2/userInfo`);
      expect(discovery.jwks_uri).toBe(`${origin}/.well-known/jwks.json`);
      expect(discovery).not.toHaveProperty('end_session_endpoint');
      expect(response.headers['Access-Control-Allow-Origin']).toBe('*');
    });

    it('publishes the public key the tokens are signed with', async () => {
      // Act
      const body = JSON.parse((await request('GET', '/.well-known/jwks.json')).body) as { keys: unknown[] };

      // Assert
      expect(body).toEqual(keys.jwks);
      expect(JSON.stringify(body)).not.toMatch(/"d":/);
    });

    it("answers userInfo with the caller's attributes for an access token, and 401 for an ID token", async () => {
      // Arrange
      const { code, verifier } = await issuedCode('carol@example.com');
      const body = bodyOf(await redeem({ code, code_verifier: verifier }));

      // Act
      const withAccess = await request('GET', '/oauth2/userInfo', {
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      const withId = await request('GET', '/oauth2/userInfo', {
        headers: { authorization: `Bearer ${body.id_token}` },
      });

      // Assert
      expect(withAccess.status).toBe(200);
      expect(bodyOf(withAccess)).toMatchObject({ email: 'carol@example.com', email_verified: 'true', name: 'Carol' });
      expect(withId.status).toBe(401);
      expect(withId.headers['WWW-Authenticate']).toContain('invalid_token');
    });
  });

  describe('localAppConfig', () => {
    it('names the local API, the sign-in as authority, the client and its /app/ URIs', () => {
      // Act
      const config = localAppConfig({ apiPort: 3000, signInPort: 3001 });

      // Assert
      expect(config).toEqual({
        apiUrl: 'http://localhost:3000',
        authority: 'http://localhost:3001',
        clientId,
        redirectUri: appUrl,
        logoutUri: appUrl,
        logoutEndpoint: 'http://localhost:3001/logout',
        scope: 'openid email profile',
      });
      expect(localClient(3000).redirectUris).toContain(config.redirectUri);
      expect(localClient(3000).logoutUris).toContain(config.logoutUri);
    });
  });
});
