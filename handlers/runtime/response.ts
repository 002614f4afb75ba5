/** Building API Gateway proxy results: JSON bodies, problem+json errors, CORS on every response. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { corsHeaders } from '#generated/operations.ts';
import { BadRequestError, HttpError } from './errors.ts';
import type { Logger } from './logger.ts';

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  if (body === undefined) return { statusCode: status, headers: { ...corsHeaders, ...headers }, body: '' };
  return {
    statusCode: status,
    headers: { ...corsHeaders, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Turns anything thrown into application/problem+json. HttpErrors keep their status and detail;
 * anything else becomes a 500 that carries the request id and no internals (those go to the log).
 */
export function toProblemResponse(
  error: unknown,
  request: { requestId: string; instance: string; log: Logger },
): APIGatewayProxyResult {
  const known = error instanceof HttpError;
  if (!known) request.log.error('unhandled error', { error });
  else if (error.status >= 500) request.log.warn('request failed', { status: error.status, cause: error.cause });
  const problem = known
    ? {
        type: 'about:blank',
        title: error.title,
        status: error.status,
        detail: error.detail,
        instance: request.instance,
        requestId: request.requestId,
        ...(error instanceof BadRequestError && error.errors.length > 0 ? { errors: error.errors } : {}),
      }
    : {
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred; quote the requestId when reporting it.',
        instance: request.instance,
        requestId: request.requestId,
      };
  return {
    statusCode: problem.status,
    headers: { ...corsHeaders, 'Content-Type': 'application/problem+json', ...(known ? error.headers : {}) },
    body: JSON.stringify(problem),
  };
}
