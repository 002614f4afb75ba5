/**
 * The Lambda entry's engine: API Gateway REST proxy event → origin check → route by operationId →
 * validate → principal from the authorizer's claims → operation handler → proxy result.
 * Dependencies are built once per cold start, in one cached promise.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type OperationId, operations } from '#generated/operations.ts';
import { type Config, loadConfig } from './config.ts';
import type { OperationContext, OperationHandlers } from './context.ts';
import { createDatabase, type Database } from './db.ts';
import { HttpError, ServiceUnavailableError, UnauthorizedError, type UnavailableReason } from './errors.ts';
import { createLogger, type Logger, type LogSink } from './logger.ts';
import { createMetrics, type MetricName, type MetricSink, type MetricsRecorder, stdoutMetricSink } from './metrics.ts';
import { originVerifyHeader, verifyOrigin } from './origin-verify.ts';
import { principalFromClaims } from './principal.ts';
import { headerMap, parseRequest, routeOf } from './request.ts';
import { jsonResponse, toProblemResponse, withCorsOrigin } from './response.ts';
import { createSecretReader, type SecretReader } from './secrets.ts';

/** The metric a 503 counts, by what it waited for: an outage and a busy row page different people. */
const unavailableMetric: Record<UnavailableReason, MetricName> = {
  database: 'ServiceUnavailableDatabase',
  secret: 'ServiceUnavailableSecret',
  contention: 'ServiceUnavailableContention',
};

export interface ApiHandlerOptions {
  handlers: OperationHandlers;
  /** Defaults to `loadConfig(process.env)` at the first request. */
  config?: () => Config;
  logSink?: LogSink;
  /**
   * Where EMF metric documents go. Defaults to stdout when METRICS=emf (set by the CDK stack) and to
   * nowhere otherwise, so local runs and tests emit nothing unless they pass a sink.
   */
  metricSink?: MetricSink;
  secrets?: SecretReader;
  clock?: () => Date;
  /** Sees every statement sent to the database: statement-count tests and benchmarks. */
  onStatement?: (text: string) => void;
}

interface Dependencies {
  config: Config;
  db: Database;
  log: Logger;
  secrets: SecretReader;
  metrics: MetricsRecorder;
}

export type ApiHandler = ((
  event: APIGatewayProxyEvent,
  context?: Partial<Context>,
) => Promise<APIGatewayProxyResult>) & {
  /** Closes the database pool (local server shutdown, tests). */
  close(): Promise<void>;
};

/** Creates the API's Lambda handler. */
export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const clock = options.clock ?? (() => new Date());
  let dependencies: Promise<Dependencies> | undefined;
  const init = async (): Promise<Dependencies> => {
    const config = (options.config ?? (() => loadConfig()))();
    const log = createLogger(config.logLevel, { service: 'taskboard-api' }, options.logSink);
    const secrets = options.secrets ?? createSecretReader();
    const db = createDatabase(config.database, {
      log,
      secrets,
      retryAfterSeconds: config.retryAfterSeconds,
      // The handler's clock, so tests can let an instance sit frozen without waiting.
      now: () => clock().getTime(),
      ...(options.onStatement ? { onStatement: options.onStatement } : {}),
    });
    const metrics = createMetrics(
      options.metricSink ?? (process.env.METRICS === 'emf' ? stdoutMetricSink : undefined),
      { FunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local' },
      clock,
    );
    metrics.count('ColdStarts');
    return { config, db, log, secrets, metrics };
  };

  /** The dependencies once built: a warm invocation does not wait on the settled promise again. */
  let ready: Dependencies | undefined;
  const handle = async (event: APIGatewayProxyEvent, context?: Partial<Context>): Promise<APIGatewayProxyResult> => {
    if (!ready) {
      dependencies ??= init();
      ready = await dependencies;
    }
    const { config, db, log: rootLog, secrets, metrics } = ready;
    const started = performance.now();
    const requestId = event.requestContext?.requestId ?? context?.awsRequestId ?? 'local';
    const headers = headerMap(event);
    let log = rootLog.child({ requestId });
    let operationId: OperationId | undefined;
    let response: APIGatewayProxyResult;
    try {
      if (config.originVerifySecretArn) {
        await verifyOrigin(config.originVerifySecretArn, headers[originVerifyHeader], secrets).catch(
          (error: unknown) => {
            if (error instanceof HttpError) throw error;
            // Secrets Manager did not answer: a passing outage, not a rejected caller.
            throw new ServiceUnavailableError(
              'The origin check cannot read its secret; retry shortly.',
              config.retryAfterSeconds,
              { cause: error, reason: 'secret' },
            );
          },
        );
      }
      // Routed before validation, so a request rejected as invalid is still logged under its operation.
      const route = routeOf(event);
      operationId = route.operationId;
      log = log.child({ operationId });
      const request = parseRequest(event, config.maxBodyBytes, route, headers);
      const principal = principalFromClaims(event.requestContext?.authorizer?.claims);
      if (operations[operationId].secured && !principal) throw new UnauthorizedError();
      const operationContext: OperationContext = { principal, db, log, metrics, clock, requestId };
      const handler = options.handlers[operationId] as unknown as (
        input: unknown,
        context: OperationContext,
      ) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;
      const output = await handler(
        { params: request.params, query: request.query, headers: request.headers, body: request.body },
        operationContext,
      );
      response = jsonResponse(output.status, output.body, output.headers);
    } catch (error) {
      response = toProblemResponse(error, { requestId, instance: event.path, log });
      if (error instanceof ServiceUnavailableError) {
        metrics.count(unavailableMetric[error.reason ?? 'database']);
      }
    }
    response = withCorsOrigin(response, headers.origin, config.corsAllowedOrigins);
    if (response.statusCode === 412) metrics.count('PreconditionFailed');
    // API Gateway writes an access log line for every request (its requestId is this one) and counts
    // requests, 4xx and 5xx itself, including those its authorizer rejects before this function runs.
    // So the function adds a request line only where it knows more: a rejected or failed request, or
    // every request at LOG_LEVEL=debug; and an EMF document only when it counted something. Both go
    // out as one write; a plain success writes nothing.
    const level = response.statusCode >= 400 ? 'info' : 'debug';
    const facts = {
      method: event.httpMethod,
      path: event.path,
      status: response.statusCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (metrics.enabled) metrics.flush(log.entry(level, 'request', facts));
    else log[level]('request', facts);
    return response;
  };

  return Object.assign(handle, {
    close: async () => {
      if (!dependencies) return;
      const { db } = await dependencies;
      dependencies = undefined;
      ready = undefined;
      await db.end();
    },
  });
}
