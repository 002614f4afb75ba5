/**
 * API Gateway proxy event → the validated, typed input of one operation: routing, body limits,
 * media type, JSON parsing and the precompiled validators from generated/validators.js.
 */

import type { ErrorObject, ValidateFunction } from 'ajv';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type OperationId, operations } from '#generated/operations.ts';
import * as validators from '#generated/validators.js';
import {
  BadRequestError,
  type FieldError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors.ts';
import { compilePathTemplate, mostSpecificFirst, type PathPattern } from './http.ts';

export interface ParsedRequest {
  operationId: OperationId;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  body: unknown;
}

interface Route extends PathPattern {
  /** The operation of each method the path documents. */
  methods: Map<string, OperationId>;
  /** The `Allow` header of a 405 on this path. */
  allow: string;
}

/**
 * The spec's path templates (from generated/operations.ts), compiled once at cold start: a general
 * router (openapi-backend's) rebuilt its operation list and a regex per path on every request and
 * brought lodash and qs into the bundle (see bench/results.md). Most specific first, so a literal
 * segment wins over a parameter and an exact path over any template; like API Gateway, the path
 * picks the resource first and the method then picks its operation (or 405).
 */
const routes: Route[] = [
  ...Object.entries(operations)
    .reduce((byPath, [operationId, { method, path }]) => {
      const methods = byPath.get(path) ?? new Map<string, OperationId>();
      methods.set(method, operationId as OperationId);
      return byPath.set(path, methods);
    }, new Map<string, Map<string, OperationId>>())
    .entries(),
]
  .map(([path, methods]) => ({
    methods,
    allow: [...methods.keys(), 'OPTIONS'].join(', '),
    ...compilePathTemplate(path),
  }))
  .sort(mostSpecificFirst);

/** The path as routed: trimmed, with a leading slash and without trailing ones. */
function normalisePath(path: string): string {
  let normalised = path.trim();
  if (!normalised.startsWith('/')) normalised = `/${normalised}`;
  while (normalised.length > 1 && normalised.endsWith('/')) normalised = normalised.slice(0, -1);
  return normalised;
}

type Validators = Record<string, ValidateFunction | undefined>;

/** Matches the event to an operation of the spec, or throws 404 (unknown path) or 405 (another method). */
export function routeOf(event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'path'>): {
  operationId: OperationId;
  params: Record<string, string>;
} {
  const method = event.httpMethod.trim().toUpperCase();
  const path = normalisePath(event.path);
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const operationId = route.methods.get(method);
    if (!operationId) {
      throw new MethodNotAllowedError(`This path answers only ${route.allow}.`, route.allow);
    }
    const params: Record<string, string> = {};
    try {
      route.parameterNames.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1] ?? '');
      });
    } catch (error) {
      // A malformed percent-escape in a path parameter (`/tasks/%zz`) makes decoding throw: the client's error.
      if (!(error instanceof URIError)) throw error;
      throw new BadRequestError('The path is not valid percent-encoded UTF-8.', [
        { path: '/path', message: 'must be valid percent-encoding' },
      ]);
    }
    return { operationId, params };
  }
  throw new NotFoundError('No operation matches this method and path.');
}

/** Lower-cased header map from the event (API Gateway keeps the client's casing). */
export function headerMap(event: Pick<APIGatewayProxyEvent, 'headers'>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return headers;
}

function toFieldErrors(errors: ErrorObject[] | null | undefined, prefix: string): FieldError[] {
  return (errors ?? []).map((error) => {
    const params = error.params as { missingProperty?: string; additionalProperty?: string };
    const child = params.missingProperty ?? params.additionalProperty;
    const path = `${prefix}${error.instancePath}${child ? `/${child}` : ''}`;
    const message = params.additionalProperty ? 'is not a known field' : (error.message ?? 'is invalid');
    return { path: path || '/', message };
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, maxBytes: number): string | undefined {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.byteLength > maxBytes) {
    throw new PayloadTooLargeError(`The request body is ${bytes.byteLength} bytes; the limit is ${maxBytes}.`);
  }
  if (!event.isBase64Encoded) return event.body;
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BadRequestError('The request body is not valid UTF-8.', [
      { path: '/body', message: 'must be UTF-8 text' },
    ]);
  }
}

const isJsonMediaType = (contentType: string | undefined) =>
  contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType.trim());

/** Parses and validates the request for its operation; throws 400, 404, 413 or 415 problems. */
export function parseRequest(
  event: APIGatewayProxyEvent,
  maxBodyBytes: number,
  route: ReturnType<typeof routeOf> = routeOf(event),
  headers: Record<string, string> = headerMap(event),
): ParsedRequest {
  const { operationId, params } = route;
  const operation = operations[operationId];

  let body: unknown;
  if (operation.hasBody) {
    const text = readBody(event, maxBodyBytes);
    if (text === undefined) {
      throw new BadRequestError('A JSON request body is required.', [{ path: '/body', message: 'is required' }]);
    }
    if (!isJsonMediaType(headers['content-type'])) {
      throw new UnsupportedMediaTypeError('Send the body as application/json.');
    }
    try {
      body = JSON.parse(text);
    } catch {
      throw new BadRequestError('The request body is not valid JSON.', [
        { path: '/body', message: 'must be valid JSON' },
      ]);
    }
  }

  const documentedHeaders: Record<string, unknown> = {};
  for (const name of operation.headers as readonly string[]) {
    const value = headers[name.toLowerCase()];
    if (value !== undefined) documentedHeaders[name] = value;
  }
  const input = { path: { ...params }, query: { ...(event.queryStringParameters ?? {}) }, headers: documentedHeaders };
  const all = validators as unknown as Validators;
  const validateParams = all[`${operationId}Params`];
  const validateBody = all[`${operationId}Body`];
  const errors: FieldError[] = [];
  if (validateParams && !validateParams(input)) errors.push(...toFieldErrors(validateParams.errors, ''));
  if (validateBody && !validateBody(body)) errors.push(...toFieldErrors(validateBody.errors, '/body'));
  if (errors.length > 0) throw new BadRequestError('The request does not match the API contract.', errors);

  return { operationId, params: input.path, query: input.query, headers: input.headers, body };
}
