/**
 * Test factories: proxy events as API Gateway builds them, claims as its Cognito authorizer
 * passes them, request bodies, and a handler wired to the test database.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { inject } from 'vitest';
import type { components } from '../../generated/api.ts';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { type ApiHandler, createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import type { LogSink } from '../../handlers/runtime/logger.ts';
import type { MetricSink } from '../../handlers/runtime/metrics.ts';
import type { SecretReader } from '../../handlers/runtime/secrets.ts';
import { idTokenClaims } from '../../scripts/local/identity.ts';

/** A unique email, so every test owns its users. */
export const uniqueEmail = (label = 'user') => `${label}-${randomUUID().slice(0, 8)}@example.com`;

/** Cognito ID-token claims the way the REST API authorizer hands them over (all strings). */
export function buildClaims(email: string, options: { groups?: string[]; phoneNumber?: string } = {}) {
  const claims = idTokenClaims(email, options);
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : String(value)]),
  );
}

export interface EventOptions {
  method: string;
  path: string;
  claims?: Record<string, string>;
  /** A list is a repeated parameter (`?label=a&label=b`): its last value single, every value in the multi-value map, as API Gateway sends it. */
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  /** An object is sent as JSON (with Content-Type); a string is sent as is. */
  body?: unknown;
}

/** An API Gateway REST proxy event. */
export function createProxyEvent(options: EventOptions): APIGatewayProxyEvent {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | null = null;
  if (typeof options.body === 'string') body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  return {
    resource: options.path,
    path: options.path,
    httpMethod: options.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: options.query
      ? Object.fromEntries(Object.entries(options.query).map(([name, value]) => [name, [value].flat().at(-1) ?? '']))
      : null,
    multiValueQueryStringParameters: options.query
      ? Object.fromEntries(Object.entries(options.query).map(([name, value]) => [name, [value].flat()]))
      : null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      authorizer: options.claims ? { claims: options.claims } : null,
      httpMethod: options.method,
      identity: { sourceIp: '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/test${options.path}`,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'test',
      resourcePath: options.path,
      stage: 'test',
    },
  };
}

/** The API's Lambda handler on the test database (or `databaseUrl`), logs captured instead of printed. */
export interface TestHandlerOptions {
  databaseUrl?: string;
  env?: Record<string, string>;
  logSink?: LogSink;
  secrets?: SecretReader;
  /** The instance's clock: advance it to let the instance sit idle (frozen) without waiting. */
  clock?: () => Date;
  onStatement?: (text: string) => void;
  /** Receives the EMF documents the handler writes (none are written without it). */
  metricSink?: MetricSink;
}

export function createTestHandler(options: TestHandlerOptions = {}): ApiHandler {
  return createApiHandler({
    handlers: operationHandlers,
    config: () =>
      loadConfig({
        DATABASE_URL: options.databaseUrl ?? inject('databaseUrl'),
        DB_CONNECTION_TIMEOUT_MS: '1000',
        ...options.env,
      }),
    logSink: options.logSink ?? (() => undefined),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onStatement ? { onStatement: options.onStatement } : {}),
    ...(options.metricSink ? { metricSink: options.metricSink } : {}),
  });
}

export interface ParsedResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

/** Parses a proxy result: headers lower-cased, JSON body parsed. */
export function parseResult<T = Record<string, unknown>>(result: APIGatewayProxyResult): ParsedResponse<T> {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  return { status: result.statusCode, headers, body: (result.body ? JSON.parse(result.body) : undefined) as T };
}

/** A caller of the API through the Lambda handler, as one user. */
export function actingAs(handler: ApiHandler, email: string, options: { groups?: string[] } = {}) {
  const claims = buildClaims(email, options);
  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    request: Omit<EventOptions, 'method' | 'path' | 'claims'> = {},
  ) => parseResult<T>(await handler(createProxyEvent({ method, path, claims, ...request })));
  return { email, claims, call };
}

export type TaskCreate = components['schemas']['TaskCreate'];

/** A createTask body with sensible defaults, typed from the spec (a renamed field or enum value fails tsc). */
export function buildTask(overrides: Partial<TaskCreate> = {}): TaskCreate {
  return {
    title: `Task ${randomUUID().slice(0, 8)}`,
    description: 'Made by a test.',
    priority: 'medium',
    ...overrides,
  };
}
