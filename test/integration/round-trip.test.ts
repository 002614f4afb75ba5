/**
 * Spec-derived round trip: for every create and update operation (a POST, PUT or PATCH with a JSON
 * body), every writable field of its body gets a valid value generated from the schema, different
 * from the default and from what is stored; the matching GET (the item path of the POST, the same
 * path for PUT/PATCH) must read each value back. A field the handler validates but drops fails here.
 * Nothing is listed by hand: a new operation or field is covered when the spec gains it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { dereference, type JsonObject, listOperations, type OpenApiDocument } from '../../scripts/lib/openapi.ts';
import { closeSuite, openSuite, registeredCaller } from './helpers.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const document = JSON.parse(readFileSync(path.join(root, 'generated', 'openapi.json'), 'utf8')) as OpenApiDocument;
const all = listOperations(document);

interface Schema {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  readOnly?: boolean;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
}

const bodySchema = (operation: (typeof all)[number]['operation']) =>
  dereference(
    document,
    (operation.requestBody as { content?: Record<string, { schema?: JsonObject }> } | undefined)?.content?.[
      'application/json'
    ]?.schema,
  ) as Schema | undefined;

/** Values of `field` in the operation's request examples, for fields a pattern constrains. */
function exampleValues(operation: (typeof all)[number]['operation'], field: string): unknown[] {
  const examples = dereference(
    document,
    (operation.requestBody as { content?: Record<string, { examples?: JsonObject }> } | undefined)?.content?.[
      'application/json'
    ]?.examples ?? {},
  ) as Record<string, { value?: Record<string, unknown> }>;
  return Object.values(examples)
    .map((example) => example.value?.[field])
    .filter((value) => value !== undefined && value !== null);
}

/** A valid value for `schema` that differs from `avoid` (the default or the stored value). */
function valueFor(schema: Schema, field: string, avoid: unknown[], examples: unknown[]): unknown {
  const differs = (value: unknown) => !avoid.some((other) => JSON.stringify(other) === JSON.stringify(value));
  if (schema.enum) {
    const value = schema.enum.find(differs);
    if (value === undefined) throw new Error(`${field}: no enum value differs from ${JSON.stringify(avoid)}`);
    return value;
  }
  if (schema.pattern) {
    const value = examples.find(differs);
    if (value === undefined) throw new Error(`${field}: has a pattern; add a request example with a value for it`);
    return value;
  }
  const tag = randomUUID().slice(0, 8);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'date') return `2031-0${1 + (Number.parseInt(tag, 16) % 9)}-17`;
      if (schema.format === 'date-time') return new Date(Date.UTC(2031, 4, 17, 12)).toISOString();
      if (schema.format === 'email') return `round-trip-${tag}@example.com`;
      if (schema.format === 'uuid') return randomUUID();
      return `rt ${field} ${tag}`.slice(0, schema.maxLength ?? 1000).padEnd(schema.minLength ?? 0, 'x');
    case 'integer':
    case 'number': {
      const low = schema.minimum ?? 0;
      const value = [low + 1, low, schema.maximum].find((candidate) => candidate !== undefined && differs(candidate));
      return value;
    }
    case 'boolean':
      return differs(true);
    case 'array':
      return [valueFor(schema.items ?? { type: 'string' }, `${field}[]`, [], [])];
    default:
      throw new Error(`${field}: no value generator for schema ${JSON.stringify(schema)}`);
  }
}

/** A body with every writable field set to a new value (relative to `stored`). */
function fullBody(operation: (typeof all)[number]['operation'], stored: Record<string, unknown> = {}) {
  const schema = bodySchema(operation);
  const body: Record<string, unknown> = {};
  for (const [field, property] of Object.entries(schema?.properties ?? {})) {
    if (property.readOnly) continue;
    body[field] = valueFor(property, field, [property.default, stored[field]], exampleValues(operation, field));
  }
  return body;
}

/** The POST that creates items of `collection`, and the GET that reads one. */
const createOn = (collection: string) => all.find((entry) => entry.method === 'post' && entry.path === collection);
const itemGetOf = (collection: string) =>
  all.find((entry) => entry.method === 'get' && new RegExp(`^${collection}/\\{[^/}]+\\}$`).test(entry.path));

const writes = all.filter(
  ({ method, operation }) => ['post', 'put', 'patch'].includes(method) && bodySchema(operation),
);

let suite: { handler: ApiHandler; db: pg.Pool };
beforeAll(() => {
  suite = openSuite();
});
afterAll(() => closeSuite(suite));

describe('round trip: every writable field is read back', () => {
  it('covers the create and update operations of the spec', () => {
    expect(writes.map((entry) => entry.operationId)).toEqual(
      expect.arrayContaining(['createTask', 'updateTask', 'updateUser']),
    );
  });

  it.each(writes.map((entry) => [entry.operationId, entry] as const))('%s', async (_id, entry) => {
    // An administrator, so that admin-only fields (a user's role) are writable too.
    const caller = await registeredCaller(suite.handler, 'round-trip', { groups: ['admin'] });
    let itemPath: string;
    let stored: Record<string, unknown> = {};
    let sent: Record<string, unknown>;
    const headers: Record<string, string> = {};

    if (entry.method === 'post') {
      const get = itemGetOf(entry.path);
      if (!get) throw new Error(`${entry.operationId}: no GET ${entry.path}/{id} to read the item back`);
      sent = fullBody(entry.operation);
      const created = await caller.call(entry.method.toUpperCase(), entry.path, { body: sent });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      itemPath = `${entry.path}/${String(created.body.id)}`;
    } else {
      // An existing item: the caller themself below /users, otherwise one made by the collection's POST.
      const collection = entry.path.replace(/\/\{[^/}]+\}$/, '');
      const create = createOn(collection);
      if (!create) throw new Error(`${entry.operationId}: no POST ${collection} to create an item to update`);
      const created = await caller.call('POST', collection, {
        ...(bodySchema(create.operation) ? { body: requiredOnly(create.operation) } : {}),
      });
      expect([200, 201], JSON.stringify(created.body)).toContain(created.status);
      itemPath = `${collection}/${String(created.body.id)}`;
      const before = await caller.call('GET', itemPath);
      expect(before.status).toBe(200);
      stored = before.body;
      if (before.headers.etag) headers['If-Match'] = before.headers.etag;
      sent = fullBody(entry.operation, stored);
      const updated = await caller.call(entry.method.toUpperCase(), itemPath, { body: sent, headers });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    }

    const read = await caller.call('GET', itemPath);
    expect(read.status).toBe(200);
    const dropped = Object.entries(sent)
      .filter(([field, value]) => JSON.stringify(read.body[field]) !== JSON.stringify(value))
      .map(([field, value]) => `${field}: sent ${JSON.stringify(value)}, read ${JSON.stringify(read.body[field])}`);
    expect(dropped, `${entry.operationId} → GET ${itemPath}`).toEqual([]);
  });
});

/** A body with only the required fields, for creating an item to update. */
function requiredOnly(operation: (typeof all)[number]['operation']) {
  const schema = bodySchema(operation);
  const body = fullBody(operation);
  return Object.fromEntries(Object.entries(body).filter(([field]) => schema?.required?.includes(field)));
}
