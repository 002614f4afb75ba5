/**
 * The operations the stack must deploy, read from the generated spec (generated/openapi.json) and
 * the generated operations map (generated/operations.ts) — never from a list kept in the tests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type OperationId, operations } from '#generated/operations.ts';
import { projectRoot } from '../../../infra/api-definition.ts';

export interface SpecOperation {
  operationId: OperationId;
  /** Upper case. */
  method: string;
  path: string;
  /** Whether the operation needs a Cognito ID token (operations.ts `secured`). */
  secured: boolean;
}

interface OpenApi {
  paths: Record<string, Record<string, { operationId?: string }>>;
}

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every operation of generated/openapi.json, with its security from generated/operations.ts. */
export function specOperations(): SpecOperation[] {
  const spec = JSON.parse(readFileSync(path.join(projectRoot, 'generated', 'openapi.json'), 'utf8')) as OpenApi;
  const found: SpecOperation[] = [];
  for (const [route, item] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!methods.includes(method) || !operation.operationId) continue;
      const operationId = operation.operationId as OperationId;
      const entry = operations[operationId];
      if (!entry) throw new Error(`${operationId} is in openapi.json but not in operations.ts: regenerate`);
      found.push({ operationId, method: method.toUpperCase(), path: route, secured: entry.secured });
    }
  }
  return found;
}

/**
 * The end of the execute-api ARN an invoke permission for `operation` must carry: any stage, the
 * method, and the path with each parameter as a wildcard (GET /tasks/{taskId} gives `/*` + `/GET/tasks/*`).
 */
export const permissionSuffix = (operation: Pick<SpecOperation, 'method' | 'path'>): string =>
  `/*/${operation.method}${operation.path.replace(/\{[^}]+\}/g, '*')}`;
