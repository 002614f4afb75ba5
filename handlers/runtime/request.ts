/**
 * API Gateway proxy event → the validated, typed input of one operation: routing, body limits,
 * media type, JSON parsing and the precompiled validators from generated/validators.js.
 */

import type { ErrorObject, ValidateFunction } from 'ajv';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type OperationId, operations, type ParameterCheck } from '#generated/operations.ts';
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
  template: string;
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
    template: path,
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

/**
 * A generated validator. A parameter's is called with the object that holds the value, as Ajv
 * calls it for a property, so that its coercion (`"20"` → 20) lands in that object.
 */
type Validator = ValidateFunction &
  ((
    data: unknown,
    context?: { instancePath: string; parentData: object; parentDataProperty: string; rootData: object },
  ) => boolean);

/** Where a parameter's errors point: `/path/taskId`, `/query/limit`, `/headers/If-Match`. */
const groupNames = { path: 'path', query: 'query', header: 'headers' } as const;

const compiled = validators as unknown as Record<string, Validator | undefined>;

/** Each route by its template, as API Gateway names the resource it matched in `event.resource`. */
const routesByTemplate = new Map(routes.map((route) => [route.template, route]));

type Routed = { operationId: OperationId; params: Record<string, string> };

/** The operation of `method` on `route` if `path` matches it; throws 405 for an undocumented method. */
function matchRoute(route: Route, path: string, method: string): Routed | undefined {
  const match = route.pattern.exec(path);
  if (!match) return undefined;
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

/**
 * Matches the event to an operation of the spec, or throws 404 (unknown path) or 405 (another
 * method). The resource API Gateway matched is tried first, so a deployed request costs one regex;
 * the path still has to match it and is decoded the same way, and an event without a known
 * resource (or whose path does not fit it) is routed by scanning every template.
 */
export function routeOf(event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'path'> & { resource?: string }): Routed {
  const method = event.httpMethod.trim().toUpperCase();
  const path = normalisePath(event.path);
  const named = event.resource === undefined ? undefined : routesByTemplate.get(event.resource);
  const routed = named && matchRoute(named, path, method);
  if (routed) return routed;
  for (const route of routes) {
    const found = matchRoute(route, path, method);
    if (found) return found;
  }
  throw new NotFoundError('No operation matches this method and path.');
}

/** Lower-cased header map from the event (API Gateway keeps the client's casing). */
export function headerMap(event: Pick<APIGatewayProxyEvent, 'headers'>): Record<string, string> {
  const headers: Record<string, string> = {};
  const given = event.headers ?? {};
  for (const name of Object.keys(given)) {
    const value = given[name];
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * A field's error in words, from Ajv's keyword and parameters: the generated validators carry no
 * message strings (they would be most of their size), so every validating keyword an OpenAPI 3.0
 * schema may hold is worded here once — a spec may use any of them without an edit to this file
 * (test/unit/request.test.ts checks the list). JSON Schema's later keywords (`const`, `if`,
 * `contains`, `propertyNames`…) never reach Ajv: the spec's lint refuses them in OpenAPI 3.0.
 */
export function describeError(error: Pick<ErrorObject, 'keyword' | 'params'>): string {
  const params = error.params as Record<string, unknown>;
  const limit = params.limit;
  const plural = (noun: string) => `${limit} ${noun}${limit === 1 ? '' : 's'}`;
  switch (error.keyword) {
    case 'type':
      return `must be ${String(params.type).replace(',', ' or ')}`;
    case 'nullable':
      return 'must not be null';
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'format':
      return `must be a valid ${String(params.format)}`;
    case 'pattern':
      return `must match the pattern ${String(params.pattern)}`;
    case 'minLength':
      return `must be at least ${plural('character')} long`;
    case 'maxLength':
      return `must be at most ${plural('character')} long`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${params.comparison} ${limit}`;
    case 'multipleOf':
      return `must be a multiple of ${params.multipleOf}`;
    case 'minProperties':
      return `must have at least ${plural('field')}`;
    case 'maxProperties':
      return `must have at most ${plural('field')}`;
    case 'minItems':
      return `must have at least ${plural('item')}`;
    case 'maxItems':
      return `must have at most ${plural('item')}`;
    case 'uniqueItems':
      return `must not repeat an item (items ${params.j} and ${params.i} are the same)`;
    case 'anyOf':
      return 'must match at least one of the allowed shapes';
    case 'oneOf':
      return 'must match exactly one of the allowed shapes';
    case 'not':
      return 'must not match the excluded shape';
    default:
      return `must satisfy ${error.keyword}`;
  }
}

function toFieldErrors(errors: ErrorObject[] | null | undefined, prefix: string): FieldError[] {
  return (errors ?? []).map((error) => {
    const params = error.params as { missingProperty?: string; additionalProperty?: string };
    const child = params.missingProperty ?? params.additionalProperty;
    const path = `${prefix}${error.instancePath}${child ? `/${child}` : ''}`;
    return { path: path || '/', message: describeError(error) };
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, maxBytes: number): string | undefined {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const tooLarge = (size: number) =>
    new PayloadTooLargeError(`The request body is ${size} bytes; the limit is ${maxBytes}.`);
  if (!event.isBase64Encoded) {
    // Counted, not copied: a text body is used as it came.
    const size = Buffer.byteLength(event.body, 'utf8');
    if (size > maxBytes) throw tooLarge(size);
    return event.body;
  }
  const bytes = Buffer.from(event.body, 'base64');
  if (bytes.byteLength > maxBytes) throw tooLarge(bytes.byteLength);
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

/**
 * An array parameter's items, as strings its validator then checks and coerces one by one: every
 * value of a repeated query parameter (API Gateway's multi-value map; an event without one, the
 * single value), or the one value split at commas.
 */
function itemsOf(
  encoding: NonNullable<ParameterCheck['array']>,
  given: string | undefined,
  event: Pick<APIGatewayProxyEvent, 'multiValueQueryStringParameters'>,
  name: string,
): string[] | undefined {
  if (encoding === 'comma') return given?.split(',');
  return event.multiValueQueryStringParameters?.[name] ?? (given === undefined ? undefined : [given]);
}

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

  const input: Record<ParameterCheck['in'], Record<string, unknown>> = { path: {}, query: {}, header: {} };
  const sources: Record<ParameterCheck['in'], Record<string, string | undefined>> = {
    path: params,
    query: event.queryStringParameters ?? {},
    header: headers,
  };
  const errors: FieldError[] = [];
  for (const check of operation.parameters as readonly ParameterCheck[]) {
    const values = input[check.in];
    const given = sources[check.in][check.lookup ?? check.name];
    const value = check.array === undefined ? given : itemsOf(check.array, given, event, check.name);
    if (value === undefined) {
      if ('default' in check) values[check.name] = check.default;
      else if (check.required) errors.push({ path: `/${groupNames[check.in]}/${check.name}`, message: 'is required' });
      continue;
    }
    values[check.name] = value;
    // Coerces in place: a valid `limit=20` leaves 20, the number, in `values`.
    const validate = compiled[check.validator];
    if (
      validate &&
      !validate(value, { instancePath: '', parentData: values, parentDataProperty: check.name, rootData: values })
    ) {
      errors.push(...toFieldErrors(validate.errors, `/${groupNames[check.in]}/${check.name}`));
    }
  }
  const validateBody = compiled[`${operationId}Body`];
  if (validateBody && !validateBody(body)) errors.push(...toFieldErrors(validateBody.errors, '/body'));
  if (errors.length > 0) throw new BadRequestError('The request does not match the API contract.', errors);

  return { operationId, params: input.path, query: input.query, headers: input.header, body };
}
