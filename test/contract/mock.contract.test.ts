/**
 * `npm run mock` (scripts/mock.ts): every operation of the spec answers from its examples with a
 * documented success status, headers and body (checked against generated/openapi.json); requests
 * are validated (400), secured operations want a bearer token (401), and CORS is answered.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OperationId, operationResponses, operations, type ParameterCheck } from '../../generated/operations.ts';
import { type MockServer, startMockServer } from '../../scripts/mock.ts';
import { createContract } from '../support/contract.ts';
import { operationIds } from '../support/operations.ts';
import { validRequest } from '../support/spec-requests.ts';

const contract = createContract();
let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ port: 0 });
});

afterAll(async () => {
  await mock.close();
});

/** A valid request for each operation, made from the spec (its body is the spec's first named example). */
function mockRequest(operationId: OperationId): RequestInit & { path: string } {
  const documented = (operations[operationId].parameters as readonly ParameterCheck[]).map(
    (parameter) => parameter.name,
  );
  const { method, path, body } = validRequest(operationId);
  const headers: Record<string, string> = { Authorization: 'Bearer any-token', Origin: 'http://spa.test' };
  if (documented.includes('If-Match')) headers['If-Match'] = '"1"';
  if (documented.includes('Idempotency-Key')) headers['Idempotency-Key'] = randomUUID();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return { path, method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
}

describe('npm run mock', () => {
  it('serves every operation of the spec from its examples, as documented', async () => {
    for (const operationId of operationIds) {
      // Arrange
      const { path, ...init } = mockRequest(operationId);

      // Act
      const response = await fetch(`${mock.url}${path}`, init);
      const text = await response.text();

      // Assert
      expect(operationResponses[operationId].successStatuses as readonly number[], `${operationId}: ${text}`).toContain(
        response.status,
      );
      contract.check(operationId, { status: response.status, headers: response.headers, text });
      expect(response.headers.get('access-control-allow-origin'), operationId).toBe('*');
    }
  });

  it('validates requests: a body off the schema is a 400 problem, a missing token a 401', async () => {
    // Arrange
    const { path, ...init } = mockRequest('createTask');

    // Act
    const invalid = await fetch(`${mock.url}${path}`, { ...init, body: JSON.stringify({ title: '', colour: 'red' }) });
    const anonymous = await fetch(`${mock.url}/tasks`);

    // Assert
    contract.check('createTask', { status: invalid.status, headers: invalid.headers, text: await invalid.text() });
    expect(invalid.status).toBe(400);
    expect(anonymous.status).toBe(401);
  });

  it('answers preflights, and another method on a documented path with 405 and Allow', async () => {
    // Act
    const preflight = await fetch(`${mock.url}/tasks/${randomUUID()}`, { method: 'OPTIONS' });
    const other = await fetch(`${mock.url}/tasks`, { method: 'PUT', headers: { Authorization: 'Bearer t' } });

    // Assert
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('If-Match');
    expect(other.status).toBe(405);
    expect(other.headers.get('allow')).toBe('GET, POST, OPTIONS');
  });
});
