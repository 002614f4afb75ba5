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

describe('CORS origins in the API handler', () => {
  const handlerAllowing = (origins: string | undefined) =>
    createApiHandler({
      handlers: operationHandlers,
      config: () =>
        loadConfig({
          DATABASE_URL: 'postgres://unused:unused@127.0.0.1:1/unused',
          ...(origins === undefined ? {} : { CORS_ALLOWED_ORIGINS: origins }),
        }),
      logSink: () => undefined,
    });
  // Answered before the database: a 405 still carries the CORS headers a page needs to read it.
  const event = (origin: string) => createProxyEvent({ method: 'PUT', path: '/tasks', headers: { Origin: origin } });

  it('when no origins are configured, allows any origin with *', async () => {
    // Arrange
    const handler = handlerAllowing(undefined);

    // Act
    const response = parseResult(await handler(event('https://spa.example.com')));
    await handler.close();

    // Assert
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it('when a list is configured, echoes a listed Origin with Vary: Origin and omits the header for others', async () => {
    // Arrange
    const handler = handlerAllowing('https://spa.example.com, http://localhost:5173');

    // Act
    const listed = parseResult(await handler(event('http://localhost:5173')));
    const other = parseResult(await handler(event('https://evil.example.net')));
    await handler.close();

    // Assert
    expect(listed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(listed.headers.vary).toBe('Origin');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers.vary).toBe('Origin');
  });

  it('answers a documented path with an undocumented method 405 problem+json with Allow', async () => {
    // Arrange
    const handler = handlerAllowing(undefined);

    // Act
    const response = parseResult(await handler(event('https://spa.example.com')));
    await handler.close();

    // Assert
    expect(response.status).toBe(405);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers.allow).toBe('GET, POST, OPTIONS');
    expect(response.headers['access-control-expose-headers']).toContain('Allow');
  });
});
