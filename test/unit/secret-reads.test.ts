/**
 * Secrets Manager reads stay bounded whatever callers send: forged X-Origin-Verify headers on the
 * public execute-api URL cost no read beyond the first, and at most one re-read a minute. A genuine
 * rotation loses nothing: the previous value keeps passing and the new one passes within that minute.
 */
import { describe, expect, it } from 'vitest';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import { createSecretReader, type VersionStage } from '../../handlers/runtime/secrets.ts';
import { createProxyEvent, parseResult } from '../support/factories.ts';

const originSecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-verify-AbCdEf';

/** An origin secret with rotation, a read counter and a hand-moved clock; the API handler reading it. */
function originUnderTest() {
  const versions: Partial<Record<VersionStage, string>> = { AWSCURRENT: 'first-value' };
  const reads: VersionStage[] = [];
  let nowMs = 1_000_000;
  const secrets = createSecretReader({
    fetch: async (_arn, stage) => {
      reads.push(stage);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return versions[stage];
    },
    now: () => nowMs,
  });
  const handler = createApiHandler({
    handlers: operationHandlers,
    config: () =>
      loadConfig({
        DATABASE_URL: 'postgres://unused:unused@127.0.0.1:1/unused',
        ORIGIN_VERIFY_SECRET_ARN: originSecretArn,
      }),
    secrets,
    logSink: () => undefined,
  });
  /** The status a request with `header` gets; getUser without a token, so a passing origin check answers 401. */
  const status = async (header: string) =>
    parseResult(
      await handler(createProxyEvent({ method: 'GET', path: '/users/me', headers: { 'X-Origin-Verify': header } })),
    ).status;
  return {
    reads,
    status,
    handler,
    advance: (ms: number) => {
      nowMs += ms;
    },
    rotate: (value: string) => {
      versions.AWSPREVIOUS = versions.AWSCURRENT;
      versions.AWSCURRENT = value;
    },
  };
}

describe('origin verify reads of Secrets Manager', () => {
  it('when 200 forged headers arrive (100 at once), reads each version once, and re-reads at most once a minute', async () => {
    // Arrange
    const origin = originUnderTest();

    // Act
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => origin.status(`forged-${i}`)));
    const trickle: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      origin.advance(500);
      trickle.push(await origin.status(`forged-late-${i}`));
    }
    await origin.handler.close();

    // Assert: 50 s passed: no re-read was granted yet. One more minute grants exactly one.
    expect([...burst, ...trickle].every((status) => status === 403)).toBe(true);
    expect(origin.reads).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    origin.advance(60_000);
    for (let i = 0; i < 20; i += 1) expect(await origin.status(`forged-after-${i}`)).toBe(403);
    expect(origin.reads).toEqual(['AWSCURRENT', 'AWSPREVIOUS', 'AWSCURRENT', 'AWSPREVIOUS']);
  });

  it('when the secret rotates, the previous value keeps passing and the new one passes within a minute', async () => {
    // Arrange
    const origin = originUnderTest();
    expect(await origin.status('first-value')).toBe(401);

    // Act
    origin.rotate('second-value');
    const statuses: number[] = [];
    for (let second = 0; second <= 60; second += 5) {
      statuses.push(await origin.status('second-value'));
      expect(await origin.status('first-value')).toBe(401);
      origin.advance(5000);
    }
    await origin.handler.close();

    // Assert: 403 until a re-read is granted (at most a minute after the first read), 401 (passed) after.
    expect(statuses.at(-1)).toBe(401);
    expect(statuses.indexOf(401)).toBeGreaterThan(0);
    expect(statuses.slice(statuses.indexOf(401)).every((status) => status === 401)).toBe(true);
  });
});
