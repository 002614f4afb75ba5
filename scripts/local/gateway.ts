/**
 * The local API Gateway: reads generated/apigateway.json and does what the deployed REST API does
 * with it — routes by path template and method, answers CORS preflight from the mock integration,
 * verifies the Cognito ID token on secured operations (aws-jwt-verify, local key set), throttles,
 * renders the gateway responses the definition declares, builds the same proxy event and calls the
 * same Lambda handler. It also serves the bundled spec at /openapi.json, the docs at /docs (and
 * their scripts under /docs/) and the web app at /app/.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { parseAllowedOrigins } from '../../handlers/runtime/config.ts';
import { compilePathTemplate, mostSpecificFirst, type PathPattern } from '../../handlers/runtime/http.ts';
import { corsOriginHeaders } from '../../handlers/runtime/response.ts';
import { docsContentSecurityPolicy, docsScriptName, docsScriptPath } from '../../infra/docs-page.ts';
import { type ListeningServer, listen } from './listen.ts';
import { type LocalWebApp, serveWebApp } from './web-app.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** API Gateway's payload limit. */
const maxPayloadBytes = 10 * 1024 * 1024;

type LambdaHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** The part of aws-jwt-verify's verifier the gateway needs. */
export interface TokenVerifier {
  verify(token: string): Promise<Record<string, unknown>>;
}

export interface ThrottleSettings {
  /** Steady-state requests per second. */
  rateLimit: number;
  /** Bucket size. */
  burstLimit: number;
}

export interface LocalGatewayOptions {
  handler: LambdaHandler;
  verifier: TokenVerifier;
  port?: number;
  host?: string;
  /** Defaults to API Gateway's stage defaults for this project: rate 1000, burst 2000. */
  throttle?: ThrottleSettings;
  definitionFile?: string;
  specFile?: string;
  docsFile?: string;
  stage?: string;
  /**
   * Origins whose pages may read the answers, as the stack's `corsAllowedOrigins` flag sets them
   * deployed; defaults to `CORS_ALLOWED_ORIGINS` (the handler reads the same variable), else `*`.
   */
  corsAllowedOrigins?: string[];
  /**
   * Receives one JSON line per request, as the stage writes its access log (infra/constructs/api.ts):
   * the function itself logs only rejected and failed requests. `npm start` prints them; by default
   * they go nowhere.
   */
  accessLog?: (line: string) => void;
  /** The web app under /app/ (web-app.ts): its built files and its config.json. Not served when absent. */
  app?: LocalWebApp;
}

export type LocalGateway = ListeningServer;

interface GatewayResponse {
  statusCode?: string;
  responseParameters?: Record<string, string>;
  responseTemplates?: Record<string, string>;
}

interface Integration {
  type: string;
  responses?: Record<string, { statusCode: string; responseParameters?: Record<string, string> }>;
}

interface Route extends PathPattern {
  template: string;
  methods: Record<string, { secured: boolean; integration: Integration }>;
}

interface GatewayDefinition {
  security?: unknown[];
  paths: Record<string, Record<string, { security?: unknown[]; 'x-amazon-apigateway-integration': Integration }>>;
  'x-amazon-apigateway-gateway-responses': Record<string, GatewayResponse>;
}

function compileRoutes(definition: GatewayDefinition): Route[] {
  const routes = Object.entries(definition.paths).map(([template, item]) => {
    const methods = Object.fromEntries(
      Object.entries(item).map(([method, operation]) => [
        method === 'x-amazon-apigateway-any-method' ? 'ANY' : method.toUpperCase(),
        {
          secured: (operation.security ?? definition.security ?? []).length > 0,
          integration: operation['x-amazon-apigateway-integration'],
        },
      ]),
    );
    return { template, ...compilePathTemplate(template), methods };
  });
  // Like API Gateway, a literal segment wins over a path parameter (/users/me before /users/{userId}).
  return routes.sort(mostSpecificFirst);
}

/** Token bucket, as API Gateway's stage throttling. */
function createThrottle({ rateLimit, burstLimit }: ThrottleSettings): () => boolean {
  let tokens = burstLimit;
  let last = performance.now();
  return () => {
    const now = performance.now();
    tokens = Math.min(burstLimit, tokens + ((now - last) / 1000) * rateLimit);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/** API Gateway's REST Cognito authorizer hands claims to the integration as strings. */
function toAuthorizerClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (Array.isArray(value)) claims[name] = value.join(',');
    else if ((name === 'exp' || name === 'iat' || name === 'auth_time') && typeof value === 'number') {
      claims[name] = new Date(value * 1000).toUTCString();
    } else claims[name] = String(value);
  }
  return claims;
}

function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxPayloadBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The response headers policy of CloudFront's docs behaviours (infra/constructs/security-headers.ts). */
const localDocsSecurityHeaders: Record<string, string> = {
  'Content-Security-Policy': docsContentSecurityPolicy,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A path segment, percent-decoded; a malformed escape (`%zz`) is passed on as sent, for the function to reject. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Starts the local gateway; resolves once it listens. */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const definitionFile = options.definitionFile ?? path.join(projectRoot, 'generated', 'apigateway.json');
  const definition = JSON.parse(readFileSync(definitionFile, 'utf8')) as GatewayDefinition;
  const routes = compileRoutes(definition);
  const gatewayResponses = definition['x-amazon-apigateway-gateway-responses'];
  const allow = createThrottle(options.throttle ?? { rateLimit: 1000, burstLimit: 2000 });
  const stage = options.stage ?? 'local';
  const specFile = options.specFile ?? path.join(projectRoot, 'generated', 'openapi.json');
  const docsFile = options.docsFile ?? path.join(projectRoot, 'docs', 'index.html');
  const allowedOrigins = options.corsAllowedOrigins ?? parseAllowedOrigins(process.env.CORS_ALLOWED_ORIGINS);

  /** The definition's static CORS headers with the origin decided per request, as the stack configures them. */
  const withOrigin = (headers: Record<string, string>, request: IncomingMessage) => {
    if (!('Access-Control-Allow-Origin' in headers)) return headers;
    const { 'Access-Control-Allow-Origin': _static, ...rest } = headers;
    return { ...rest, ...corsOriginHeaders(request.headers.origin, allowedOrigins) };
  };

  /** Renders one of the definition's gateway responses, falling back to DEFAULT_4XX/5XX like API Gateway. */
  const sendGatewayResponse = (
    request: IncomingMessage,
    response: ServerResponse,
    type: string,
    defaultStatus: number,
    message: string,
    requestId: string,
  ) => {
    const fallback = defaultStatus >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const declared = gatewayResponses[type] ?? gatewayResponses[fallback] ?? {};
    const inherited = gatewayResponses[fallback] ?? {};
    const status = Number(declared.statusCode ?? defaultStatus);
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId };
    for (const [key, value] of Object.entries({ ...inherited.responseParameters, ...declared.responseParameters })) {
      const name = /^gatewayresponse\.header\.(.+)$/.exec(key)?.[1];
      if (name) headers[name] = value.replace(/^'|'$/g, '');
    }
    const template = declared.responseTemplates?.['application/json'];
    const body = template
      ? template
          .replaceAll('$context.error.messageString', JSON.stringify(message))
          .replaceAll('$context.requestId', requestId)
      : JSON.stringify({ message });
    response.writeHead(status, withOrigin(headers, request)).end(body);
  };

  /** The docs and the spec, with the headers CloudFront's docs policy adds (less HSTS: plain http here). */
  const serveFile = (response: ServerResponse, file: string, contentType: string) => {
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      response
        .writeHead(404, { 'Content-Type': 'text/plain', ...localDocsSecurityHeaders })
        .end(`${path.relative(projectRoot, file)} is missing: run npm run docs`);
      return;
    }
    response.writeHead(200, { 'Content-Type': contentType, ...localDocsSecurityHeaders }).end(body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const requestId = randomUUID();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    const { accessLog } = options;
    if (accessLog) {
      const started = performance.now();
      response.on('finish', () =>
        accessLog(
          JSON.stringify({
            requestId,
            requestTime: new Date().toISOString(),
            httpMethod: method,
            path: url.pathname,
            status: response.statusCode,
            responseLatency: Math.round(performance.now() - started),
          }),
        ),
      );
    }

    if (options.app && serveWebApp(options.app, request, response, url.pathname)) return;
    if (method === 'GET' && url.pathname === '/openapi.json') return serveFile(response, specFile, 'application/json');
    if (method === 'GET' && (url.pathname === '/docs' || url.pathname === '/docs/')) {
      return serveFile(response, docsFile, 'text/html; charset=utf-8');
    }
    const docsScript = url.pathname.startsWith(docsScriptPath) ? url.pathname.slice(docsScriptPath.length) : '';
    if (method === 'GET' && docsScriptName.test(docsScript)) {
      return serveFile(response, path.join(path.dirname(docsFile), docsScript), 'text/javascript; charset=utf-8');
    }

    const body = await readBody(request);
    if (body === 'too-large') {
      return sendGatewayResponse(request, response, 'REQUEST_TOO_LARGE', 413, 'Request Too Long', requestId);
    }
    if (!allow()) return sendGatewayResponse(request, response, 'THROTTLED', 429, 'Too Many Requests', requestId);

    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    for (const candidate of routes) {
      match = candidate.pattern.exec(url.pathname);
      if (match) {
        route = candidate;
        break;
      }
    }
    // Like API Gateway, a resource's own methods win over its ANY method (which answers 405).
    const operation = route?.methods[method] ?? route?.methods.ANY;
    if (!route || !match || !operation) {
      return sendGatewayResponse(
        request,
        response,
        'MISSING_AUTHENTICATION_TOKEN',
        403,
        'Missing Authentication Token',
        requestId,
      );
    }

    if (operation.integration.type === 'mock') {
      const answer = operation.integration.responses?.default;
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(answer?.responseParameters ?? {})) {
        const name = /^method\.response\.header\.(.+)$/.exec(key)?.[1];
        if (name) headers[name] = value.replace(/^'|'$/g, '');
      }
      return response.writeHead(Number(answer?.statusCode ?? 200), withOrigin(headers, request)).end();
    }

    let claims: Record<string, string> | undefined;
    if (operation.secured) {
      const authorization = request.headers.authorization ?? '';
      const token = authorization.replace(/^Bearer\s+/i, '').trim();
      try {
        if (!token) throw new Error('no token');
        claims = toAuthorizerClaims(await options.verifier.verify(token));
      } catch {
        return sendGatewayResponse(request, response, 'UNAUTHORIZED', 401, 'Unauthorized', requestId);
      }
    }

    const pathParameters = Object.fromEntries(
      route.parameterNames.map((name, index) => [name, decodePathSegment(match?.[index + 1] ?? '')]),
    );
    // Prototype-free maps: a client's `constructor` or `__proto__` header or query parameter is just a name.
    const headers: Record<string, string> = Object.create(null);
    const multiValueHeaders: Record<string, string[]> = Object.create(null);
    for (let index = 0; index < request.rawHeaders.length; index += 2) {
      const name = request.rawHeaders[index] ?? '';
      const value = request.rawHeaders[index + 1] ?? '';
      headers[name] = value;
      multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
    }
    const query: Record<string, string> = Object.create(null);
    const multiValueQuery: Record<string, string[]> = Object.create(null);
    for (const [name, value] of url.searchParams) {
      query[name] = value;
      multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
    }
    let text: string | null = null;
    let isBase64Encoded = false;
    if (body.byteLength > 0) {
      try {
        text = strictUtf8.decode(body);
      } catch {
        text = body.toString('base64');
        isBase64Encoded = true;
      }
    }
    const now = Date.now();
    const event: APIGatewayProxyEvent = {
      resource: route.template,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: Object.keys(multiValueQuery).length > 0 ? multiValueQuery : null,
      pathParameters: route.parameterNames.length > 0 ? pathParameters : null,
      stageVariables: null,
      body: text,
      isBase64Encoded,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: claims ? { claims } : null,
        httpMethod: method,
        identity: {
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          userAgent: request.headers['user-agent'] ?? null,
        } as APIGatewayProxyEvent['requestContext']['identity'],
        path: `/${stage}${url.pathname}`,
        protocol: `HTTP/${request.httpVersion}`,
        requestId,
        requestTimeEpoch: now,
        resourceId: 'local',
        resourcePath: route.template,
        stage,
      },
    };

    let result: APIGatewayProxyResult;
    try {
      result = await options.handler(event);
    } catch {
      // What API Gateway answers when the Lambda function itself fails.
      return response
        .writeHead(502, { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId })
        .end(JSON.stringify({ message: 'Internal server error' }));
    }
    const responseHeaders: Record<string, string | string[]> = { 'x-amzn-RequestId': requestId };
    for (const [name, value] of Object.entries(result.headers ?? {})) responseHeaders[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
      responseHeaders[name] = values.map(String);
    const payload = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    response.writeHead(result.statusCode, responseHeaders).end(payload);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ message: 'Internal server error' }));
    });
  });
  server.keepAliveTimeout = 5000;
  return listen(server, options.port ?? 3000, options.host);
}
