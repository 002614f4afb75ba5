import { describe, expect, it } from 'vitest';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import { createSecretReader } from '../../handlers/runtime/secrets.ts';
import { createProxyEvent, parseResult } from '../support/factories.ts';

const originSecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-verify-AbCdEf';

/** A handler whose origin check reads secrets through `read`; its database is never reached in these tests. */
const handlerReading = (read: () => Promise<string | undefined>) =>
  createApiHandler({
    handlers: operationHandlers,
    config: () =>
      loadConfig({
        DATABASE_URL: 'postgres://unused:unused@127.0.0.1:1/unused',
        ORIGIN_VERIFY_SECRET_ARN: originSecretArn,
      }),
    secrets: createSecretReader({ fetch: read }),
    logSink: () => undefined,
  });

describe('origin verify in the API handler', () => {
  it('when the origin secret cannot be read, answers 503 problem+json with Retry-After, not 500', async () => {
    // Arrange
    const handler = handlerReading(async () => {
      throw new Error('connect ETIMEDOUT secretsmanager');
    });

    // Act
    const response = parseResult(
      await handler(createProxyEvent({ method: 'GET', path: '/health', headers: { 'X-Origin-Verify': 'anything' } })),
    );
    await handler.close();

    // Assert
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('when the header does not match the secret, answers 403 before touching the database', async () => {
    // Arrange
    const handler = handlerReading(async () => 'the-real-value');

    // Act
    const response = parseResult(
      await handler(createProxyEvent({ method: 'GET', path: '/health', headers: { 'X-Origin-Verify': 'a-guess' } })),
    );
    await handler.close();

    // Assert
    expect(response.status).toBe(403);
  });
});
