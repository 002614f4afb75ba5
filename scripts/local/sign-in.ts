/**
 * The local stand-in for Cognito's managed login, on its own origin (`npm start`: SIGNIN_PORT,
 * default 3001), so a browser app signs in locally with the same code as against the deployed pool:
 *
 *   GET  /oauth2/authorize    code flow with PKCE S256, state and nonce; → /login, or straight back
 *                             with a code while the sign-in session cookie lasts
 *   GET  /login, POST /login  the sign-in page: any email, no password (alice@example.com is admin)
 *   POST /oauth2/token        authorization_code (PKCE checked) and refresh_token
 *   POST /oauth2/revoke       revokes a refresh token
 *   GET  /oauth2/userInfo     the caller's attributes, for a bearer access token
 *   GET  /logout              Cognito's `?client_id&logout_uri` sign-out (not OIDC end-session)
 *   GET  /.well-known/openid-configuration, /.well-known/jwks.json
 *
 * Tokens are Cognito-shaped and signed with the local key (identity.ts), so the local gateway accepts
 * the ID token and refuses the access token, as the deployed Cognito authorizer does. It refuses what
 * Cognito refuses, with Cognito's answers: an unknown client or an unregistered redirect or logout URI
 * gets an error page and never a redirect; a bad token request gets 400 `{"error": "…"}`. Codes, sessions
 * and refresh tokens live in memory: a restart signs everybody out.
 *
 * The protocol is a pure function of a request ({@link createSignIn}), which the unit tests drive
 * directly; {@link startLocalSignIn} puts it on HTTP.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AppConfig } from '../../client/app-config.ts';
import { appPath, appScope } from '../../client/app-config.ts';
import {
  createLocalVerifier,
  idTokenClaims,
  type LocalKeySet,
  loadLocalKeySet,
  localIssuer,
  localPool,
  localSubject,
  signJwt,
} from './identity.ts';
import { type ListeningServer, listen } from './listen.ts';

/** An app client of the local pool, as `Auth.addSpaClient` registers one on the deployed pool. */
export interface LocalClient {
  clientId: string;
  /** Callback URLs, matched exactly. */
  redirectUris: string[];
  /** Sign-out URLs, matched exactly. */
  logoutUris: string[];
  /** Allowed OAuth scopes. */
  scopes: string[];
}

/** Where Postman's OAuth 2.0 helper receives the code (registered on the local and deployed clients). */
export const postmanCallbackUrl = 'https://oauth.pstmn.io/v1/callback';

/** The Vite dev server's app URL (`npm run web:dev`), registered like the app served by the gateway. */
export const viteDevAppUrl = `http://localhost:5173${appPath}`;

/** The local pool's SPA client: the app on the local gateway, the Vite dev server and Postman. */
export function localClient(apiPort: number): LocalClient {
  const appUrl = `http://localhost:${apiPort}${appPath}`;
  return {
    clientId: localPool.clientId,
    redirectUris: [appUrl, viteDevAppUrl, postmanCallbackUrl],
    logoutUris: [appUrl, viteDevAppUrl],
    scopes: ['openid', 'email', 'phone', 'profile'],
  };
}

/** `/app/config.json` for the app served at `appOrigin` against the local API and sign-in. */
export function localAppConfig(options: { apiPort: number; signInPort: number; appOrigin?: string }): AppConfig {
  const apiUrl = `http://localhost:${options.apiPort}`;
  const authority = `http://localhost:${options.signInPort}`;
  const appUrl = `${options.appOrigin ?? apiUrl}${appPath}`;
  return {
    apiUrl,
    authority,
    clientId: localPool.clientId,
    redirectUri: appUrl,
    logoutUri: appUrl,
    logoutEndpoint: `${authority}/logout`,
    scope: appScope,
  };
}

/** How long things last, as Cognito's defaults and the deployed client's settings. */
export const lifetimes = {
  /** Authorization codes: five minutes, one use. */
  codeSeconds: 300,
  /** The managed-login session cookie: one hour. */
  sessionSeconds: 3600,
  /** ID and access tokens: one hour (Auth.addSpaClient). */
  tokenSeconds: 3600,
  /** Refresh tokens: 30 days (Auth.addSpaClient). */
  refreshSeconds: 30 * 24 * 3600,
} as const;

/** The sign-in session cookie (on the sign-in origin; localhost cookies ignore the port, hence the name). */
export const sessionCookie = 'taskboard-local-sign-in';

export interface SignInRequest {
  method: string;
  /** Path and query, e.g. `/oauth2/authorize?client_id=…`. */
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: string;
}

export interface SignInResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SignInOptions {
  /** The sign-in's own origin, as browsers reach it: `http://localhost:3001`. */
  origin: string;
  clients: LocalClient[];
  keys?: LocalKeySet;
  /** Milliseconds since the epoch; tests move it to expire codes. */
  now?: () => number;
  /** Why a request was refused (Cognito's answers name only the error code); `npm start` prints it. */
  log?: (line: string) => void;
}

interface AuthorizationRequest {
  client: LocalClient;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
}

interface Session {
  email: string;
  authTime: number;
  expiresAt: number;
}

interface IssuedCode {
  request: AuthorizationRequest;
  email: string;
  authTime: number;
  expiresAt: number;
}

interface RefreshGrant {
  clientId: string;
  email: string;
  authTime: number;
  scopes: string[];
  expiresAt: number;
}

const html = (value: string) => value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const codeChallengePattern = /^[A-Za-z0-9_-]{43,128}$/;

const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#16191f}
main{max-width:24rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 4px #0003}
h1{font-size:1.5rem;margin-top:0}label{display:block;font-weight:600;margin-bottom:.25rem}
input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #5f6b7a;border-radius:.25rem}
input[aria-invalid=true]{border:2px solid #b3261e}.error{color:#b3261e;font-weight:600}
button{margin-top:1rem;width:100%;padding:.6rem;font:inherit;font-weight:600;color:#fff;background:#0b5cad;border:0;border-radius:.25rem;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #0b5cad;outline-offset:2px}
.note{font-size:.875rem;color:#414d5c}code{font-size:.875rem}`;

/** A styled page; nothing inline but the style (hashed in the CSP), no script at all. */
function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)}</title>
<style>${pageStyle}</style>
</head>
<body>
<main>
${content}
</main>
</body>
</html>
`;
}

const pageStyleHash = createHash('sha256').update(pageStyle).digest('base64');
const pageHeaders = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${pageStyleHash}'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Cognito's error page: shown, never redirected, when the client or the URI to go back to is not known. */
function errorPage(error: string, description: string): SignInResponse {
  return {
    status: 400,
    headers: pageHeaders,
    body: page(
      'Sign-in error',
      `<h1>An error was encountered with the requested page.</h1>
<p class="error">error=${html(error)}</p>
<p>${html(description)}</p>`,
    ),
  };
}

function signInPage(query: string, email: string, problem: string | undefined): SignInResponse {
  const described = problem ? ' aria-invalid="true" aria-describedby="email-error"' : '';
  return {
    status: problem ? 400 : 200,
    headers: pageHeaders,
    body: page(
      'Sign in · Taskboard local',
      `<h1>Sign in</h1>
<form method="post" action="/login?${html(query)}" novalidate>
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required autofocus value="${html(email)}"${described}>
${problem ? `<p id="email-error" class="error">${html(problem)}</p>` : ''}
<button type="submit">Sign in</button>
</form>
<p class="note">Local sign-in: any email, no password. <code>alice@example.com</code> is an administrator,
<code>bob@example.com</code> a user. Deployed, Cognito's managed login asks for a password here.</p>`,
    ),
  };
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): SignInResponse => ({
  status,
  headers: { 'Content-Type': 'application/json;charset=UTF-8', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(value),
});

const redirect = (location: string, headers: Record<string, string> = {}): SignInResponse => ({
  status: 302,
  headers: { Location: location, 'Cache-Control': 'no-store', ...headers },
  body: '',
});

const withParams = (uri: string, params: Record<string, string | undefined>) => {
  const url = new URL(uri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
};

function cookieOf(request: SignInRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

const base64urlSha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** The sign-in's protocol: `handle` answers one request. */
export interface LocalSignIn {
  handle(request: SignInRequest): Promise<SignInResponse>;
  /** The discovery document (also at `/.well-known/openid-configuration`). */
  readonly discovery: Record<string, unknown>;
}

/** Creates the sign-in's protocol over in-memory codes, sessions and refresh tokens. */
export function createSignIn(options: SignInOptions): LocalSignIn {
  const keys = options.keys ?? loadLocalKeySet();
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const clients = new Map(options.clients.map((client) => [client.clientId, client]));
  const accessVerifier = createLocalVerifier(keys, 'access');
  const sessions = new Map<string, Session>();
  const codes = new Map<string, IssuedCode>();
  /** Codes already redeemed and the refresh token each gave, revoked if the code comes back (RFC 6749 §4.1.2). */
  const redeemed = new Map<string, string | undefined>();
  const refreshGrants = new Map<string, RefreshGrant>();
  /** Who signed in, by `sub`, for userInfo (tokens carry the sub; the attributes live here, as in a pool). */
  const emailsBySub = new Map<string, string>();
  const appOrigins = new Set(
    options.clients.flatMap((client) => client.redirectUris.map((uri) => new URL(uri).origin)),
  );
  const origin = options.origin.replace(/\/+$/, '');

  const discovery = {
    issuer: localIssuer,
    authorization_endpoint: `${origin}/oauth2/authorize`,
    token_endpoint: `${origin}/oauth2/token`,
    userinfo_endpoint: `${origin}/oauth2/userInfo`,
    revocation_endpoint: `${origin}/oauth2/revoke`,
    jwks_uri: `${origin}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'email', 'phone', 'profile'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
  };

  /** CORS for the browser calls Cognito answers cross-origin: the app's origins may read the answer. */
  const corsFor = (request: SignInRequest): Record<string, string> => {
    const from = request.headers.origin;
    return from && appOrigins.has(from) ? { 'Access-Control-Allow-Origin': from, Vary: 'Origin' } : { Vary: 'Origin' };
  };

  const nowSeconds = () => Math.floor(now() / 1000);

  const sessionOf = (request: SignInRequest): Session | undefined => {
    const id = cookieOf(request, sessionCookie);
    const session = id ? sessions.get(id) : undefined;
    if (!session || session.expiresAt <= now()) return undefined;
    return session;
  };

  /** Checks the client and redirect URI first: until both are known, an error is a page, never a redirect. */
  const parseAuthorization = (params: URLSearchParams): AuthorizationRequest | SignInResponse => {
    const clientId = params.get('client_id');
    const client = clientId ? clients.get(clientId) : undefined;
    if (!client) {
      log(`sign-in: refused ${clientId ? `unknown client_id ${clientId}` : 'a request without client_id'}`);
      return errorPage('invalid_client', 'The client_id names no app client of this user pool.');
    }
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!client.redirectUris.includes(redirectUri)) {
      log(`sign-in: refused redirect_uri ${redirectUri || '(none)'}; registered: ${client.redirectUris.join(', ')}`);
      return errorPage('redirect_mismatch', 'The redirect_uri is not one of the app client’s callback URLs.');
    }
    const state = params.get('state') ?? undefined;
    const fail = (error: string, description: string) => {
      log(`sign-in: ${error}: ${description}`);
      return redirect(withParams(redirectUri, { error, error_description: description, state }));
    };
    const responseType = params.get('response_type');
    if (!responseType) return fail('invalid_request', 'response_type is required');
    if (responseType === 'token') return fail('unauthorized_client', 'the client allows the code grant only');
    if (responseType !== 'code') return fail('unsupported_response_type', `response_type ${responseType}`);
    const method = params.get('code_challenge_method');
    const codeChallenge = params.get('code_challenge') ?? undefined;
    if (method !== null && method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    if ((method === null) !== (codeChallenge === undefined)) {
      return fail('invalid_request', 'code_challenge and code_challenge_method=S256 go together');
    }
    if (codeChallenge !== undefined && !codeChallengePattern.test(codeChallenge)) {
      return fail('invalid_request', 'code_challenge must be a base64url SHA-256');
    }
    const requested = params.get('scope');
    const scopes = requested ? requested.split(/\s+/).filter(Boolean) : client.scopes;
    const unknown = scopes.filter((scope) => !client.scopes.includes(scope));
    if (unknown.length > 0) return fail('invalid_scope', `not allowed for this client: ${unknown.join(' ')}`);
    return { client, redirectUri, scopes, state, nonce: params.get('nonce') ?? undefined, codeChallenge };
  };

  const issueCode = (authorization: AuthorizationRequest, session: Session): SignInResponse => {
    const code = randomUUID();
    codes.set(code, {
      request: authorization,
      email: session.email,
      authTime: session.authTime,
      expiresAt: now() + lifetimes.codeSeconds * 1000,
    });
    return redirect(withParams(authorization.redirectUri, { code, state: authorization.state }));
  };

  /** ID (with `openid`), access and, on a code, refresh tokens: the token endpoint's answer. */
  const tokens = (
    grant: { clientId: string; email: string; authTime: number; scopes: string[] },
    extra: { nonce?: string | undefined; refreshToken?: string },
  ) => {
    const iat = nowSeconds();
    const originJti = randomUUID();
    const idClaims = idTokenClaims(grant.email, { now: new Date(iat * 1000), lifetimeSeconds: lifetimes.tokenSeconds });
    const accessClaims = {
      sub: idClaims.sub,
      ...(idClaims['cognito:groups'] ? { 'cognito:groups': idClaims['cognito:groups'] } : {}),
      iss: localIssuer,
      version: 2,
      client_id: grant.clientId,
      origin_jti: originJti,
      event_id: idClaims.event_id,
      token_use: 'access',
      scope: grant.scopes.join(' '),
      auth_time: grant.authTime,
      exp: iat + lifetimes.tokenSeconds,
      iat,
      jti: randomUUID(),
      username: idClaims['cognito:username'],
    };
    const header = { kid: keys.kid, alg: 'RS256' };
    const accessToken = signJwt(header, accessClaims, keys.privateKey);
    const idToken = grant.scopes.includes('openid')
      ? signJwt(
          header,
          {
            ...idClaims,
            aud: grant.clientId,
            at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
            origin_jti: originJti,
            auth_time: grant.authTime,
            ...(extra.nonce ? { nonce: extra.nonce } : {}),
          },
          keys.privateKey,
        )
      : undefined;
    return {
      ...(idToken ? { id_token: idToken } : {}),
      access_token: accessToken,
      ...(extra.refreshToken ? { refresh_token: extra.refreshToken } : {}),
      expires_in: lifetimes.tokenSeconds,
      token_type: 'Bearer',
    };
  };

  const authorize = (request: SignInRequest, url: URL): SignInResponse => {
    const authorization = parseAuthorization(url.searchParams);
    if ('status' in authorization) return authorization;
    const session = sessionOf(request);
    if (session) return issueCode(authorization, session);
    return redirect(`/login${url.search}`);
  };

  const login = (request: SignInRequest, url: URL): SignInResponse => {
    const authorization = parseAuthorization(url.searchParams);
    if ('status' in authorization) return authorization;
    const query = url.searchParams.toString();
    if (request.method === 'GET') return signInPage(query, '', undefined);
    const email = (new URLSearchParams(request.body).get('email') ?? '').trim();
    if (!emailPattern.test(email)) {
      return signInPage(query, email, 'Enter an email address, such as bob@example.com.');
    }
    const id = randomBytes(24).toString('base64url');
    const session = { email, authTime: nowSeconds(), expiresAt: now() + lifetimes.sessionSeconds * 1000 };
    sessions.set(id, session);
    emailsBySub.set(localSubject(email), email);
    const answer = issueCode(authorization, session);
    answer.headers['Set-Cookie'] =
      `${sessionCookie}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${lifetimes.sessionSeconds}`;
    return answer;
  };

  const tokenError = (request: SignInRequest, error: string, why: string) => {
    log(`sign-in: token refused, ${error}: ${why}`);
    return json(400, { error }, corsFor(request));
  };

  /** The client of a token request: `client_id` in the body or the user of HTTP Basic authentication. */
  const clientOf = (request: SignInRequest, form: URLSearchParams): LocalClient | undefined => {
    const basic = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const fromHeader = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':')[0] : undefined;
    const id = form.get('client_id') ?? fromHeader;
    return id ? clients.get(id) : undefined;
  };

  const token = (request: SignInRequest): SignInResponse => {
    if (!(request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return tokenError(request, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(request.body);
    const grantType = form.get('grant_type');
    if (!grantType) return tokenError(request, 'invalid_request', 'grant_type is required');
    const client = clientOf(request, form);
    if (!client) return tokenError(request, 'invalid_client', 'unknown or missing client_id');
    if (grantType === 'refresh_token') {
      const refreshToken = form.get('refresh_token');
      if (!refreshToken) return tokenError(request, 'invalid_request', 'refresh_token is required');
      const grant = refreshGrants.get(refreshToken);
      if (!grant || grant.clientId !== client.clientId || grant.expiresAt <= now()) {
        return tokenError(
          request,
          'invalid_grant',
          'the refresh token is unknown, revoked, expired or another client’s',
        );
      }
      // Like Cognito without refresh-token rotation: new ID and access tokens, the same refresh token.
      return json(200, tokens(grant, {}), corsFor(request));
    }
    if (grantType !== 'authorization_code') {
      return tokenError(request, 'unsupported_grant_type', `grant_type ${grantType}`);
    }
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    if (!code || !redirectUri) return tokenError(request, 'invalid_request', 'code and redirect_uri are required');
    const issued = codes.get(code);
    // One attempt per code, right or wrong: a code that comes back is refused and its refresh token revoked.
    codes.delete(code);
    if (!issued) {
      if (redeemed.has(code)) {
        const given = redeemed.get(code);
        if (given) refreshGrants.delete(given);
        return tokenError(request, 'invalid_grant', 'the code was used before; its refresh token is revoked');
      }
      return tokenError(request, 'invalid_grant', 'the code is unknown');
    }
    redeemed.set(code, undefined);
    if (issued.expiresAt <= now()) return tokenError(request, 'invalid_grant', 'the code expired');
    if (issued.request.client.clientId !== client.clientId) {
      return tokenError(request, 'invalid_grant', 'the code was issued to another client');
    }
    if (issued.request.redirectUri !== redirectUri) {
      return tokenError(request, 'invalid_grant', 'redirect_uri differs from the authorization request’s');
    }
    if (issued.request.codeChallenge !== undefined) {
      const verifier = form.get('code_verifier');
      if (!verifier) return tokenError(request, 'invalid_request', 'code_verifier is required (PKCE)');
      if (base64urlSha256(verifier) !== issued.request.codeChallenge) {
        return tokenError(request, 'invalid_grant', 'code_verifier does not match the code_challenge');
      }
    }
    const refreshToken = randomBytes(48).toString('base64url');
    const grant = {
      clientId: client.clientId,
      email: issued.email,
      authTime: issued.authTime,
      scopes: issued.request.scopes,
    };
    refreshGrants.set(refreshToken, { ...grant, expiresAt: now() + lifetimes.refreshSeconds * 1000 });
    redeemed.set(code, refreshToken);
    return json(200, tokens(grant, { nonce: issued.request.nonce, refreshToken }), corsFor(request));
  };

  const revoke = (request: SignInRequest): SignInResponse => {
    const form = new URLSearchParams(request.body);
    const client = clientOf(request, form);
    if (!client) return tokenError(request, 'invalid_client', 'unknown or missing client_id');
    const refreshToken = form.get('token');
    if (!refreshToken) return tokenError(request, 'invalid_request', 'token is required');
    if (refreshGrants.get(refreshToken)?.clientId === client.clientId) refreshGrants.delete(refreshToken);
    return { status: 200, headers: { 'Cache-Control': 'no-store', ...corsFor(request) }, body: '' };
  };

  const userInfo = async (request: SignInRequest): Promise<SignInResponse> => {
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
    const refuse = (description: string) =>
      json(
        401,
        { error: 'invalid_token', error_description: description },
        { 'WWW-Authenticate': `Bearer error="invalid_token"`, ...corsFor(request) },
      );
    if (!bearer) return refuse('Access token is missing');
    let claims: Record<string, unknown>;
    try {
      claims = await accessVerifier.verify(bearer);
    } catch {
      return refuse('Access token is not valid: an ID token, expired, or not signed by this pool');
    }
    const scopes = String(claims.scope ?? '').split(' ');
    if (!scopes.includes('openid')) return refuse('Access token does not contain openid scope');
    const email = emailsBySub.get(String(claims.sub));
    const profile = email ? idTokenClaims(email) : undefined;
    return json(
      200,
      {
        sub: claims.sub,
        ...(profile && scopes.includes('email') ? { email_verified: 'true', email: profile.email } : {}),
        ...(profile && scopes.includes('profile') ? { name: profile.name } : {}),
        username: claims.username,
      },
      corsFor(request),
    );
  };

  const logout = (request: SignInRequest, url: URL): SignInResponse => {
    const params = url.searchParams;
    const clientId = params.get('client_id');
    const client = clientId ? clients.get(clientId) : undefined;
    if (!client) {
      log(`sign-in: logout refused ${clientId ? `unknown client_id ${clientId}` : 'without client_id'}`);
      return errorPage('invalid_client', 'The client_id names no app client of this user pool.');
    }
    const logoutUri = params.get('logout_uri');
    let next: string;
    if (logoutUri !== null) {
      if (!client.logoutUris.includes(logoutUri)) {
        log(`sign-in: logout refused logout_uri ${logoutUri}; registered: ${client.logoutUris.join(', ')}`);
        return errorPage('redirect_mismatch', 'The logout_uri is not one of the app client’s sign-out URLs.');
      }
      next = logoutUri;
    } else if (params.get('redirect_uri') !== null && params.get('response_type') !== null) {
      // Cognito's other form: sign out, then sign in again (the authorize endpoint checks the rest).
      next = `/oauth2/authorize?${params.toString()}`;
    } else {
      return errorPage('invalid_request', 'logout needs logout_uri (or redirect_uri and response_type).');
    }
    const id = cookieOf(request, sessionCookie);
    if (id) sessions.delete(id);
    return redirect(next, { 'Set-Cookie': `${sessionCookie}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` });
  };

  const home = (): SignInResponse => ({
    status: 200,
    headers: pageHeaders,
    body: page(
      'Taskboard local sign-in',
      `<h1>Taskboard local sign-in</h1>
<p>The local stand-in for Cognito's managed login. Apps find it through
<a href="/.well-known/openid-configuration">/.well-known/openid-configuration</a>.</p>`,
    ),
  });

  const handle = async (request: SignInRequest): Promise<SignInResponse> => {
    const url = new URL(request.url, origin);
    const method = request.method.toUpperCase();
    const route = `${method} ${url.pathname}`;
    if (method === 'OPTIONS') {
      return {
        status: 204,
        headers: {
          ...corsFor(request),
          'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
        },
        body: '',
      };
    }
    switch (route) {
      case 'GET /oauth2/authorize':
        return authorize(request, url);
      case 'GET /login':
      case 'POST /login':
        return login(request, url);
      case 'POST /oauth2/token':
        return token(request);
      case 'POST /oauth2/revoke':
        return revoke(request);
      case 'GET /oauth2/userInfo':
      case 'POST /oauth2/userInfo':
        return userInfo(request);
      case 'GET /logout':
        return logout(request, url);
      case 'GET /.well-known/openid-configuration':
        return json(200, discovery, { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' });
      case 'GET /.well-known/jwks.json':
        return json(200, keys.jwks, { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' });
      case 'GET /':
        return home();
      default:
        return json(404, { error: 'not_found', error_description: `${route} is not an endpoint of the sign-in` });
    }
  };

  return { handle, discovery };
}

/** Largest request body the sign-in reads (a sign-in form or a token request is far smaller). */
const maxBodyBytes = 64 * 1024;

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > maxBodyBytes ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export interface LocalSignInServer extends ListeningServer {
  signIn: LocalSignIn;
}

/** Serves the local sign-in on `port` (0: a free one); `origin` defaults to `http://localhost:<port>`. */
export async function startLocalSignIn(
  options: Omit<SignInOptions, 'origin'> & { origin?: string; port: number; host?: string },
): Promise<LocalSignInServer> {
  let signIn: LocalSignIn | undefined;
  const server = createServer((request, response) => {
    const answer = async () => {
      const body = await readBody(request);
      if (body === undefined) return json(413, { error: 'invalid_request', error_description: 'body too large' });
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return (signIn as LocalSignIn).handle({
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers,
        body,
      });
    };
    answer()
      .catch(() => json(500, { error: 'server_error' }))
      .then(({ status, headers, body }) => response.writeHead(status, headers).end(body));
  });
  server.keepAliveTimeout = 5000;
  const listening = await listen(server, options.port, options.host);
  const port = new URL(listening.url).port;
  signIn = createSignIn({ ...options, origin: options.origin ?? `http://localhost:${port}` });
  return { ...listening, signIn };
}
