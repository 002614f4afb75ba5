/**
 * API Gateway REST proxy events as the bench sends them: the shape the local gateway builds
 * (resource template, path parameters, the Cognito authorizer's string claims).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { idTokenClaims } from '#local/identity.ts';

/** The claims API Gateway's Cognito authorizer hands the integration for `email` (every value a string). */
export function authorizerClaims(email: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(idTokenClaims(email)).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(',') : String(value),
    ]),
  );
}

export interface ProxyEventOptions {
  method: string;
  path: string;
  /** The resource template, e.g. `/tasks/{taskId}`; defaults to `path`. */
  resource?: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  claims: Record<string, string>;
  /** Sent as JSON with its Content-Type. */
  body?: unknown;
  /** More request headers, e.g. Idempotency-Key or If-Match. */
  headers?: Record<string, string>;
}

/** An authenticated proxy event. */
export function proxyEvent(options: ProxyEventOptions): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Host: '127.0.0.1',
    'User-Agent': 'taskboard-bench',
    ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...options.headers,
  };
  return {
    resource: options.resource ?? options.path,
    path: options.path,
    httpMethod: options.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      authorizer: { claims: options.claims },
      httpMethod: options.method,
      identity: { sourceIp: '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/bench${options.path}`,
      protocol: 'HTTP/1.1',
      requestId: 'bench-request',
      requestTimeEpoch: Date.now(),
      resourceId: 'bench',
      resourcePath: options.resource ?? options.path,
      stage: 'bench',
    },
  };
}
