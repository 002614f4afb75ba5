/**
 * The web app on the local gateway, as CloudFront serves it deployed (infra/constructs/web-app.ts):
 * the built files of web/dist under /app/, hashed assets (`/app/assets/…`) immutable, index.html
 * and /app/config.json never cached, a client-side route (`/app/tasks/42`) answered with index.html,
 * and the same security headers, CSP included, so a violation shows up here first.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { type AppConfig, appContentSecurityPolicy, appPath } from '../../client/app-config.ts';

export interface LocalWebApp {
  /** The built app: web/dist. */
  dir: string;
  /** Served at /app/config.json. */
  config: AppConfig;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Cache-Control by kind, the same values the stack deploys with. */
export const appCacheControl = {
  /** Vite's content-hashed files under assets/. */
  hashed: 'public, max-age=31536000, immutable',
  /** index.html, config.json and anything else without a hash: revalidated on every load. */
  entry: 'no-cache',
} as const;

/** The origin of a URL, for the CSP's connect-src. */
const originOf = (url: string) => new URL(url).origin;

/** The headers the app's pages get: the deployed response headers policy, less HSTS (plain http here). */
export function localAppSecurityHeaders(config: AppConfig): Record<string, string> {
  const connect = [...new Set([config.apiUrl, config.authority, config.logoutEndpoint].map(originOf))];
  return {
    'Content-Security-Policy': appContentSecurityPolicy(connect),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
  };
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Taskboard web app not built</title></head>
<body>
<main>
<h1>The web app is not built yet</h1>
<p>There is no <code>web/dist/index.html</code>. Build it with <code>npm run web:build</code>, or run
<code>npm run web:dev</code> for Vite's dev server with hot reload, then reload this page.</p>
<p>The API is running: <a href="/docs">/docs</a>.</p>
</main>
</body>
</html>
`;

/**
 * Answers a request under /app (returns false for any other path, which the gateway routes as the
 * API). API paths never fall back to index.html: only paths under /app/ do, and only when they name
 * no file (`/app/assets/missing.js` is a 404, not a page).
 */
export function serveWebApp(
  app: LocalWebApp,
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
): boolean {
  if (pathname !== '/app' && !pathname.startsWith(appPath)) return false;
  const method = (request.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('The app is read-only.\n');
    return true;
  }
  if (pathname === '/app') {
    const query = new URL(request.url ?? '/', 'http://localhost').search;
    response.writeHead(301, { Location: `${appPath}${query}` }).end();
    return true;
  }
  const send = (status: number, headers: Record<string, string>, body: string | Buffer) => {
    response.writeHead(status, headers).end(method === 'HEAD' ? undefined : body);
  };
  const security = localAppSecurityHeaders(app.config);
  if (pathname === `${appPath}config.json`) {
    send(
      200,
      { 'Content-Type': 'application/json', 'Cache-Control': appCacheControl.entry },
      `${JSON.stringify(app.config, null, 2)}\n`,
    );
    return true;
  }
  const index = path.join(app.dir, 'index.html');
  if (!existsSync(index)) {
    send(503, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, notBuiltPage);
    return true;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice(appPath.length));
  } catch {
    send(400, { 'Content-Type': 'text/plain' }, 'Malformed path.\n');
    return true;
  }
  const root = path.resolve(app.dir);
  const file = path.resolve(root, relative);
  const inside = file === root || file.startsWith(`${root}${path.sep}`);
  if (inside && relative !== '' && existsSync(file) && statSync(file).isFile()) {
    const hashed = relative.startsWith('assets/');
    send(
      200,
      {
        'Content-Type': contentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Cache-Control': hashed ? appCacheControl.hashed : appCacheControl.entry,
        ...security,
      },
      readFileSync(file),
    );
    return true;
  }
  // A missing file (it has an extension) is a 404; anything else is a client-side route: index.html.
  if (!inside || path.extname(relative) !== '') {
    send(404, { 'Content-Type': 'text/plain', ...security }, `No file ${pathname} in the app.\n`);
    return true;
  }
  send(
    200,
    { 'Content-Type': contentTypes['.html'] as string, 'Cache-Control': appCacheControl.entry, ...security },
    readFileSync(index),
  );
  return true;
}
