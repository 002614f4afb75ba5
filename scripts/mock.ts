/**
 * `npm run mock`: a mock of the whole API from the spec alone — no database, no handlers — so a
 * frontend developer can work against an operation before its handler exists. openapi-backend routes
 * by generated/openapi.json, validates each request (400 problem+json with the failures), asks for a
 * bearer token where the spec does, and answers with the operation's named example for its first
 * success status. CORS as the real API answers it (any origin, preflights on every path).
 * PORT picks the port (default 4010).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import addFormatsModule from 'ajv-formats';
import { type Context, type Document, OpenAPIBackend } from 'openapi-backend';
import { corsHeaders, type OperationId, operationResponses, operations } from '../generated/operations.ts';
import { compilePathTemplate, mostSpecificFirst } from '../handlers/runtime/http.ts';
import { allowedMethods, corsMaxAgeSeconds } from './lib/openapi.ts';
import { type ListeningServer, listen } from './local/listen.ts';

const addFormats = addFormatsModule.default;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const specFile = path.join(root, 'generated', 'openapi.json');

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  headers: { 'Content-Type': 'application/problem+json' },
  body: { type: 'about:blank', title, status, detail, ...extra },
});

/** The mock's answers: the example of the operation's first success status, with its documented headers. */
function createMockApi(): OpenAPIBackend {
  const definition = JSON.parse(readFileSync(specFile, 'utf8')) as Document;
  const api: OpenAPIBackend = new OpenAPIBackend({
    definition,
    validate: true,
    coerceTypes: true,
    customizeAjv: (ajv) => addFormats(ajv, ['uuid', 'date', 'date-time', 'email']),
    handlers: {
      notFound: (): Answer => problem(404, 'Not Found', 'No operation matches this method and path.'),
      methodNotAllowed: (context: Context): Answer => {
        const [route] = [...new Set(Object.values(operations).map((operation) => operation.path as string))]
          .map((template) => ({ template, ...compilePathTemplate(template) }))
          .sort(mostSpecificFirst)
          .filter(({ pattern }) => pattern.test(String(context.request.path)));
        const methods = Object.values(operations)
          .filter((operation) => operation.path === route?.template)
          .map((operation) => operation.method);
        const allow = allowedMethods(methods);
        const answer = problem(405, 'Method Not Allowed', `This path answers only ${allow}.`);
        return { ...answer, headers: { ...answer.headers, Allow: allow } };
      },
      unauthorizedHandler: (): Answer => ({
        status: 401,
        headers: { 'Content-Type': 'application/json' },
        body: { message: 'Unauthorized' },
      }),
      validationFail: (context: Context): Answer =>
        problem(400, 'Bad Request', 'The request does not match the API contract.', {
          errors: (context.validation.errors ?? []).map((error) => ({
            path: error.instancePath || '/',
            message: error.message ?? 'is invalid',
          })),
        }),
      notImplemented: (context: Context): Answer => {
        const operationId = context.operation.operationId as OperationId;
        const [code] = operationResponses[operationId].successStatuses;
        const { status, mock } = api.mockResponseForOperation(operationId, { code });
        const headers: Record<string, string> = {};
        const body = mock as { id?: string; version?: number } | undefined;
        const documented = operationResponses[operationId].responseHeaders as readonly string[];
        if (documented.includes('ETag') && body !== undefined) headers.ETag = `"${body.version ?? 1}"`;
        if (status === 201 && body?.id) headers.Location = `${operations[operationId].path}/${body.id}`;
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        return { status, headers, body };
      },
    },
    securityHandlers: {
      // The mock checks that a bearer token is there, not who signed it.
      CognitoIdToken: (context: Context) => /^Bearer\s+\S+/i.test(String(context.request.headers.authorization ?? '')),
    },
  });
  return api;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export type MockServer = ListeningServer;

/** Starts the mock server; resolves once it listens. */
export async function startMockServer(options: { port?: number; host?: string } = {}): Promise<MockServer> {
  const api = createMockApi();
  await api.init();
  const cors = { ...corsHeaders };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') {
      return response
        .writeHead(204, {
          ...cors,
          'Access-Control-Allow-Methods': 'GET,PUT,POST,DELETE,PATCH,OPTIONS',
          'Access-Control-Max-Age': String(corsMaxAgeSeconds),
        })
        .end();
    }
    const text = await readBody(request);
    let body: unknown = text;
    if (text && /json/i.test(String(request.headers['content-type'] ?? ''))) {
      try {
        body = JSON.parse(text);
      } catch {
        const answer = problem(400, 'Bad Request', 'The request body is not valid JSON.');
        return response.writeHead(answer.status, { ...cors, ...answer.headers }).end(JSON.stringify(answer.body));
      }
    }
    const answer = (await api.handleRequest({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers as Record<string, string>,
      body,
    })) as Answer;
    response
      .writeHead(answer.status, { ...cors, ...answer.headers })
      .end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { ...cors, 'Content-Type': 'application/problem+json' });
      response.end(JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }));
    });
  });
  return listen(server, options.port ?? 4010, options.host);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const mock = await startMockServer({ port: Number(process.env.PORT ?? 4010), host: process.env.HOST ?? '127.0.0.1' });
  console.log(`Taskboard mock (examples from generated/openapi.json) on ${mock.url} — Ctrl-C stops it.`);
  const stop = () => void mock.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
