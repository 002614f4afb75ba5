import { describe, expect, it } from 'vitest';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import type { OperationHandlers } from '../../handlers/runtime/context.ts';
import { PreconditionFailedError, ServiceUnavailableError } from '../../handlers/runtime/errors.ts';
import { createMetrics, metricsNamespace } from '../../handlers/runtime/metrics.ts';
import { createSecretReader } from '../../handlers/runtime/secrets.ts';
import { createProxyEvent } from '../support/factories.ts';

/** What the sink received: an EMF document, or (nothing counted) a plain request line without `_aws`. */
interface EmfDocument {
  _aws?: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/** An API handler whose database is unreachable, its EMF documents captured. */
const handlerWith = (
  overrides: Partial<OperationHandlers> = {},
  options: { originSecret?: () => Promise<string | undefined> } = {},
) => {
  const documents: EmfDocument[] = [];
  const lines: string[] = [];
  const handler = createApiHandler({
    handlers: { ...operationHandlers, ...overrides } as OperationHandlers,
    config: () =>
      loadConfig({
        DATABASE_URL: 'postgres://unused:unused@127.0.0.1:1/unused',
        DB_CONNECTION_TIMEOUT_MS: '500',
        ...(options.originSecret
          ? { ORIGIN_VERIFY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-verify-AbCdEf' }
          : {}),
      }),
    ...(options.originSecret ? { secrets: createSecretReader({ fetch: options.originSecret }) } : {}),
    logSink: (line) => lines.push(line),
    metricSink: (line) => documents.push(JSON.parse(line) as EmfDocument),
  });
  return { handler, documents, lines };
};

/** The counters of a document: the metrics its directive names, with their values. */
const countsOf = (document: EmfDocument | undefined) =>
  Object.fromEntries((document?._aws?.CloudWatchMetrics[0]?.Metrics ?? []).map(({ Name }) => [Name, document?.[Name]]));

describe('createMetrics', () => {
  it('writes one EMF document per flush, declaring each counted metric under the namespace and dimensions', () => {
    const lines: string[] = [];
    const metrics = createMetrics(
      (line) => lines.push(line),
      { FunctionName: 'fn' },
      () => new Date(1_700_000_000_000),
    );

    metrics.count('IdempotentReplays');
    metrics.count('IdempotentReplays');
    metrics.count('PreconditionFailed');
    metrics.flush();
    metrics.flush();

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: metricsNamespace,
            Dimensions: [['FunctionName']],
            Metrics: [
              { Name: 'IdempotentReplays', Unit: 'Count' },
              { Name: 'PreconditionFailed', Unit: 'Count' },
            ],
          },
        ],
      },
      FunctionName: 'fn',
      IdempotentReplays: 2,
      PreconditionFailed: 1,
    });
  });

  it('with nothing counted, writes the fields as a plain line (no metric directive), or nothing', () => {
    const lines: string[] = [];
    const metrics = createMetrics((line) => lines.push(line), { FunctionName: 'fn' });

    metrics.flush();
    metrics.flush({ message: 'request', status: 400 });

    expect(lines.map((line) => JSON.parse(line))).toEqual([{ message: 'request', status: 400 }]);
  });

  it('without a sink, writes nothing', () => {
    const metrics = createMetrics(undefined, { FunctionName: 'fn' });

    metrics.count('ColdStarts');

    expect(() => metrics.flush()).not.toThrow();
  });
});

describe('metrics in the API handler', () => {
  it('counts the cold start once; a later success writes nothing, a later rejection only its request line', async () => {
    const { handler, documents, lines } = handlerWith({
      getHealth: async () => ({ status: 200, body: { status: 'ok' } }) as never,
    });

    await handler(createProxyEvent({ method: 'GET', path: '/health' }));
    await handler(createProxyEvent({ method: 'GET', path: '/health' }));
    await handler(createProxyEvent({ method: 'GET', path: '/no-such-path' }));
    await handler.close();

    expect(documents.map(countsOf)).toEqual([{ ColdStarts: 1 }, {}]);
    expect(documents[0]).not.toHaveProperty('message');
    expect(documents[1]).toMatchObject({ level: 'info', message: 'request', status: 404 });
    expect(documents[1]).not.toHaveProperty('_aws');
    expect(lines).toEqual([]);
  });

  it('counts a 412 as a precondition failure, and a handler’s own counter (an idempotent replay)', async () => {
    const { handler, documents } = handlerWith({
      getHealth: async (_input, context) => {
        context.metrics.count('IdempotentReplays');
        throw new PreconditionFailedError('stale');
      },
    });

    await handler(createProxyEvent({ method: 'GET', path: '/health' }));
    await handler.close();

    expect(countsOf(documents[0])).toEqual({
      ColdStarts: 1,
      IdempotentReplays: 1,
      PreconditionFailed: 1,
    });
  });

  it('tells a 503 for an unreachable database from a 503 for an unreadable secret', async () => {
    const database = handlerWith();
    const secret = handlerWith(
      {},
      {
        originSecret: async () => {
          throw new Error('connect ETIMEDOUT secretsmanager');
        },
      },
    );

    await database.handler(createProxyEvent({ method: 'GET', path: '/health' }));
    await secret.handler(
      createProxyEvent({ method: 'GET', path: '/health', headers: { 'X-Origin-Verify': 'anything' } }),
    );
    await database.handler.close();
    await secret.handler.close();

    expect(countsOf(database.documents[0])).toEqual({
      ColdStarts: 1,
      ServiceUnavailableDatabase: 1,
    });
    expect(countsOf(secret.documents[0])).toEqual({ ColdStarts: 1, ServiceUnavailableSecret: 1 });
  });

  it('counts a 503 for contention (a busy row, retryable) as contention, not as an unavailable database', async () => {
    const { handler, documents } = handlerWith({
      getHealth: async () => {
        throw new ServiceUnavailableError('The resource is busy with another request.', 1, { reason: 'contention' });
      },
    });

    await handler(createProxyEvent({ method: 'GET', path: '/health' }));
    await handler.close();

    expect(countsOf(documents[0])).toEqual({ ColdStarts: 1, ServiceUnavailableContention: 1 });
  });

  it('writes at most one line per invocation: a rejection’s request line is the EMF document, not a line of its own', async () => {
    const { handler, documents, lines } = handlerWith({
      getHealth: async () => {
        throw new PreconditionFailedError('stale');
      },
    });

    await handler(createProxyEvent({ method: 'GET', path: '/health' }));
    await handler.close();

    expect(lines.filter((line) => (JSON.parse(line) as { message?: string }).message === 'request')).toEqual([]);
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ level: 'info', message: 'request', operationId: 'getHealth', status: 412 });
    expect(countsOf(documents[0])).toEqual({ ColdStarts: 1, PreconditionFailed: 1 });
  });

  it('makes metrics of the named counters only, by FunctionName only; the request line rides along as log fields', async () => {
    const { handler, documents } = handlerWith();

    await handler(
      createProxyEvent({ method: 'GET', path: '/users/alice@example.com', headers: { Authorization: 'Bearer x' } }),
    );
    await handler.close();

    const [document] = documents;
    const directive = document?._aws?.CloudWatchMetrics[0];
    expect(directive?.Metrics.map(({ Name }) => Name)).toEqual(['ColdStarts']);
    expect(directive?.Dimensions).toEqual([['FunctionName']]);
    expect(document).toMatchObject({ message: 'request', operationId: 'getUser', status: 400 });
    expect(JSON.stringify(documents)).not.toContain('Bearer');
  });
});
