/**
 * The local sign-in and the web app as `npm start` serves them: a browser's code flow with PKCE over
 * HTTP against the sign-in's own origin, whose ID token the local gateway accepts (and whose access
 * token it refuses, as the Cognito authorizer does), and /app/ with its config.json, client-side
 * routes and caching on the gateway.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../client/app-config.ts';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { type LocalGateway, startLocalGateway } from '../../scripts/local/gateway.ts';
import { createLocalVerifier, loadLocalKeySet } from '../../scripts/local/identity.ts';
import { type LocalSignInServer, localAppConfig, localClient, startLocalSignIn } from '../../scripts/local/sign-in.ts';
import { appCacheControl } from '../../scripts/local/web-app.ts';
import { createTestHandler, uniqueEmail } from '../support/factories.ts';

const keys = loadLocalKeySet();
const apiPort = 3000;
let handler: ApiHandler;
let signIn: LocalSignInServer;
let gateway: LocalGateway;
let bareGateway: LocalGateway;
let distDir: string;
let emptyDir: string;
let config: AppConfig;

beforeAll(async () => {
  distDir = mkdtempSync(path.join(tmpdir(), 'taskboard-dist-'));
  emptyDir = mkdtempSync(path.join(tmpdir(), 'taskboard-nodist-'));
  mkdirSync(path.join(distDir, 'assets'));
  writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><title>Taskboard</title><div id="root"></div>');
  writeFileSync(path.join(distDir, 'assets', 'index-AbC123.js'), 'console.log("app")');
  handler = createTestHandler();
  signIn = await startLocalSignIn({ port: 0, clients: [localClient(apiPort)], keys });
  config = localAppConfig({ apiPort, signInPort: Number(new URL(signIn.url).port) });
  gateway = await startLocalGateway({
    handler,
    verifier: createLocalVerifier(keys),
    port: 0,
    app: { dir: distDir, config },
  });
  bareGateway = await startLocalGateway({
    handler,
    verifier: createLocalVerifier(keys),
    port: 0,
    app: { dir: emptyDir, config },
  });
});

afterAll(async () => {
  await Promise.all([gateway.close(), bareGateway.close(), signIn.close()]);
  await handler.close();
  rmSync(distDir, { recursive: true, force: true });
  rmSync(emptyDir, { recursive: true, force: true });
});

/** A browser's sign-in against the sign-in server over HTTP: authorize, the page, the code, the token. */
async function signInOverHttp(email: string) {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scope,
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const authorize = await fetch(`${signIn.url}/oauth2/authorize?${query}`, { redirect: 'manual' });
  const pageUrl = new URL(authorize.headers.get('location') ?? '', signIn.url);
  const page = await fetch(pageUrl);
  const action = /<form method="post" action="([^"]+)"/.exec(await page.text())?.[1]?.replaceAll('&#38;', '&') ?? '';
  const posted = await fetch(new URL(action, signIn.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email }),
    redirect: 'manual',
  });
  const code = new URL(posted.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const token = await fetch(`${signIn.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: new URL(config.apiUrl).origin },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      redirect_uri: config.redirectUri,
      code,
      code_verifier: verifier,
    }),
  });
  return {
    status: token.status,
    allowOrigin: token.headers.get('access-control-allow-origin'),
    tokens: (await token.json()) as { id_token: string; access_token: string },
  };
}

describe('local sign-in with the local gateway', () => {
  it('the ID token from the code flow registers the caller through the gateway', async () => {
    // Arrange
    const email = uniqueEmail('signin');
    const { status, allowOrigin, tokens } = await signInOverHttp(email);

    // Act
    const registered = await fetch(`${gateway.url}/users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.id_token}`, 'Content-Type': 'application/json' },
      body: '{}',
    });

    // Assert
    expect(status).toBe(200);
    expect(allowOrigin).toBe(config.apiUrl);
    expect(registered.status).toBe(201);
    expect(await registered.json()).toMatchObject({ email });
  });

  it('the access token from the same flow is refused by the gateway with 401, as by the Cognito authorizer', async () => {
    // Arrange
    const { tokens } = await signInOverHttp(uniqueEmail('signin-access'));

    // Act
    const response = await fetch(`${gateway.url}/users/me`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });

    // Assert
    expect(response.status).toBe(401);
  });
});

describe('the web app on the local gateway', () => {
  it('serves /app/config.json with the local settings, never cached', async () => {
    // Act
    const response = await fetch(`${gateway.url}/app/config.json`);

    // Assert
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.json()).toEqual(config);
  });

  it('serves index.html at /app/ and for a client-side route, never cached, with the CSP', async () => {
    for (const route of ['/app/', '/app/tasks/42']) {
      // Act
      const response = await fetch(`${gateway.url}${route}`);

      // Assert
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<div id="root">');
      expect(response.headers.get('cache-control')).toBe(appCacheControl.entry);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain(`connect-src 'self' ${config.apiUrl} ${config.authority}`);
      expect(csp).toContain("frame-ancestors 'none'");
    }
  });

  it('serves hashed assets as immutable, and a missing asset as 404, not as the page', async () => {
    // Act
    const asset = await fetch(`${gateway.url}/app/assets/index-AbC123.js`);
    const missing = await fetch(`${gateway.url}/app/assets/index-gone.js`);

    // Assert
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(missing.status).toBe(404);
  });

  it('never falls back to the page for API paths or paths outside /app/', async () => {
    // Act
    const api = await fetch(`${gateway.url}/tasks`);
    const unknown = await fetch(`${gateway.url}/apps`);
    const traversal = await fetch(`${gateway.url}/app/..%2F..%2Fpackage.json`);

    // Assert
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).not.toContain('text/html');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(traversal.status).toBe(404);
  });

  it('redirects /app to /app/', async () => {
    // Act
    const response = await fetch(`${gateway.url}/app`, { redirect: 'manual' });

    // Assert
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/app/');
  });

  it('without a build, says how to make one at /app/, and still serves config.json', async () => {
    // Act
    const page = await fetch(`${bareGateway.url}/app/tasks`);
    const settings = await fetch(`${bareGateway.url}/app/config.json`);

    // Assert
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('npm run web:build');
    expect(settings.status).toBe(200);
  });
});
