/**
 * The typed client (client/index.ts) against the local gateway: real token verification, the
 * Lambda handler and PostgreSQL. Every operation is called once (test/client/every-operation.ts)
 * and must answer one of its documented success statuses, with its documented headers readable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskboardClient } from '../../client/index.ts';
import { operationResponses } from '../../generated/operations.ts';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { type LocalGateway, startLocalGateway } from '../../scripts/local/gateway.ts';
import { createLocalVerifier, issueIdToken, loadLocalKeySet } from '../../scripts/local/identity.ts';
import { callEveryOperation } from '../client/every-operation.ts';
import { createTestHandler, uniqueEmail } from '../support/factories.ts';

const keys = loadLocalKeySet();
let handler: ApiHandler;
let gateway: LocalGateway;

beforeAll(async () => {
  handler = createTestHandler();
  gateway = await startLocalGateway({ handler, verifier: createLocalVerifier(keys), port: 0 });
});

afterAll(async () => {
  await gateway.close();
  await handler.close();
});

describe('createTaskboardClient', () => {
  it('calls every operation with a bearer token and reads the documented headers', async () => {
    // Arrange
    const user = createTaskboardClient({
      baseUrl: `${gateway.url}/`,
      token: issueIdToken(uniqueEmail('client'), {}, keys),
    });
    const adminToken = issueIdToken(uniqueEmail('client-admin'), { groups: ['admin'] }, keys);
    const admin = createTaskboardClient({ baseUrl: gateway.url, token: async () => adminToken });

    // Act
    const results = await callEveryOperation(user, admin);

    // Assert
    for (const [operationId, result] of Object.entries(results)) {
      const documented = operationResponses[operationId as keyof typeof operationResponses]
        .successStatuses as readonly number[];
      expect(documented, `${operationId} answered ${result.status}: ${JSON.stringify(result.body)}`).toContain(
        result.status,
      );
    }
    expect(results.registerUser.status).toBe(201);
    expect(results.createTask.headers).toEqual({
      ETag: '"1"',
      Location: `/tasks/${(results.createTask.body as { id: string }).id}`,
    });
    expect(results.createTask.body).toMatchObject({ title: 'Typed client', description: '', priority: 'high' });
    expect(results.updateTask.headers.ETag).toBe('"2"');
    expect(results.getUser.headers.ETag).toMatch(/^"\d+"$/);
  });

  it('without a token, gets the gateway’s 401 as the error', async () => {
    // Arrange
    const anonymous = createTaskboardClient({ baseUrl: gateway.url });

    // Act
    const { response, error } = await anonymous.GET('/tasks');

    // Assert
    expect(response.status).toBe(401);
    expect(error).toEqual({ message: 'Unauthorized' });
  });
});
