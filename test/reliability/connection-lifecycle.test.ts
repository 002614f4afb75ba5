/**
 * The Lambda lifecycle, between the pool and PostgreSQL: one instance (pool max 1, as on Lambda)
 * behind a fault-injecting TCP proxy. "Frozen" is the instance's clock jumping ahead with no timer
 * firing in between — exactly what a thawed Lambda sees — while the proxy makes the idle connection
 * die silently (half-open) or by reset. The first request after the gap must answer 200 within 2 s.
 * A connection that dies in the middle of a request is an outage: 503 with Retry-After.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { actingAs, buildTask, createTestHandler, uniqueEmail } from '../support/factories.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';

const gapMs = 15_000;
const answerBoundMs = 2000;

interface Instance {
  handler: ApiHandler;
  proxy: FaultProxy;
  /** Lets the instance sit frozen for `ms`: its clock moves, no timer runs. */
  freeze(ms: number): void;
  statements: string[];
  caller: ReturnType<typeof actingAs>;
}

const instances: Instance[] = [];

/** A Lambda-like instance on the test database through its own proxy, with a registered caller. */
async function startInstance(env: Record<string, string> = {}): Promise<Instance> {
  const target = new URL(inject('databaseUrl'));
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
  const viaProxy = new URL(target);
  viaProxy.port = String(proxy.port);
  let offsetMs = 0;
  const statements: string[] = [];
  const handler = createTestHandler({
    databaseUrl: viaProxy.toString(),
    env: { DB_POOL_MAX: '1', DB_STATEMENT_TIMEOUT_MS: '5000', ...env },
    clock: () => new Date(Date.now() + offsetMs),
    onStatement: (text) => statements.push(text),
  });
  const caller = actingAs(handler, uniqueEmail('lambda'));
  expect((await caller.call('POST', '/users')).status).toBe(201);
  const instance = {
    handler,
    proxy,
    freeze: (ms: number) => {
      offsetMs += ms;
    },
    statements,
    caller,
  };
  instances.push(instance);
  return instance;
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

afterEach(async () => {
  for (const instance of instances.splice(0)) {
    await instance.handler.close().catch(() => undefined);
    await instance.proxy.close();
  }
});

describe('connections across a frozen instance', () => {
  it.each([
    ['died silently (half-open)', (proxy: FaultProxy) => proxy.silence()],
    ['was reset', (proxy: FaultProxy) => proxy.resetOnUse()],
  ])(
    'when the idle connection %s during a 15 s freeze, the first request answers 200 within 2 s',
    async (label, fault) => {
      // Arrange
      const instance = await startInstance();
      fault(instance.proxy);
      instance.freeze(gapMs);

      // Act
      const { result, ms } = await timed(() => instance.caller.call('GET', '/tasks'));
      console.log(`first request after a 15 s freeze, connection ${label}: ${result.status} in ${Math.round(ms)} ms`);

      // Assert
      expect(result.status).toBe(200);
      expect(ms).toBeLessThan(answerBoundMs);
      expect(instance.proxy.accepted).toBe(2);
    },
  );

  it('when the idle connection died silently during a real 15 s gap, the first request answers 200 within 2 s', async () => {
    // Arrange
    const instance = await startInstance();
    instance.proxy.silence();
    await sleep(gapMs);

    // Act
    const { result, ms } = await timed(() => instance.caller.call('GET', '/tasks'));
    console.log(`first request after a real 15 s gap, connection half-open: ${result.status} in ${Math.round(ms)} ms`);

    // Assert
    expect(result.status).toBe(200);
    expect(ms).toBeLessThan(answerBoundMs);
  }, 30_000);

  it('when the connection is still good after the gap, reuses it after one empty query and opens no other', async () => {
    // Arrange
    const instance = await startInstance();
    instance.freeze(gapMs);
    instance.statements.length = 0;

    // Act
    const response = await instance.caller.call('GET', '/tasks');

    // Assert
    expect(response.status).toBe(200);
    expect(instance.statements.filter((text) => text === '')).toHaveLength(1);
    expect(instance.proxy.accepted).toBe(1);
  });

  it('when requests follow each other closely, sends no check at all', async () => {
    // Arrange
    const instance = await startInstance();
    instance.statements.length = 0;

    // Act
    const responses = [await instance.caller.call('GET', '/tasks'), await instance.caller.call('GET', '/users/me')];

    // Assert
    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    expect(instance.statements).not.toContain('');
  });

  it('when the server ended the idle connection (idle_session_timeout), the next request answers 200 without a gap', async () => {
    // Arrange
    const instance = await startInstance();
    instance.proxy.resetNow();
    await sleep(50);

    // Act
    const response = await instance.caller.call('GET', '/tasks');

    // Assert
    expect(response.status).toBe(200);
  });

  it('when the connection dies in the middle of a request, answers 503 with Retry-After, and the next request 200', async () => {
    // Arrange
    const instance = await startInstance();
    instance.proxy.latency(300);
    const pending = instance.caller.call('POST', '/tasks', { body: buildTask() });
    await sleep(100);

    // Act
    instance.proxy.resetNow();
    const response = await pending;
    instance.proxy.latency(0);
    const next = await instance.caller.call('GET', '/tasks');

    // Assert
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(next.status).toBe(200);
  });
});
