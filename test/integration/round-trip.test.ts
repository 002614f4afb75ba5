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
import {
  dereference,
  type JsonObject,
  listOperations,
  type OpenApiDocument,
  type SchemaObject,
} from '../../scripts/lib/openapi.ts';
import { closeSuite, openSuite, registeredCaller } from './helpers.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const document = JSON.parse(readFileSync(path.join(root, 'generated', 'openapi.json'), 'utf8')) as OpenApiDocument;
const all = listOperations(document);

const bodySchema = (operation: (typeof all)[number]['operation']) =>
  dereference(
    document,
    (operation.requestBody as { content?: Record<string, { schema?: JsonObject }> } | undefined)?.content?.[
      'application/json'
    ]?.schema,
  ) as SchemaObject | undefined;

/** Values of `field` in the operation's request examples. */
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

/** The values examples give for an array's items (every item of every example array), or an object's property. */
const itemExamples = (examples: unknown[]) => examples.flatMap((value) => (Array.isArray(value) ? value : []));
const propertyExamples = (examples: unknown[], name: string) =>
  examples
    .map((value) =>
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined,
    )
    .filter((value) => value !== undefined && value !== null);

/**
 * A valid value for `schema` that differs from `avoid` (the default or the stored value). A value
 * a pattern constrains comes from the examples (for an array's items, from the items of the
 * examples' arrays); arrays get `minItems` (at least one) distinct items, objects every property.
 */
function valueFor(schema: SchemaObject, field: string, avoid: unknown[], examples: unknown[]): unknown {
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
    case 'array': {
      const exampleArray = examples.find((value) => Array.isArray(value) && value.length > 0 && differs(value));
      if (exampleArray !== undefined) return exampleArray;
      const items: unknown[] = [];
      const wanted = Math.max(schema.minItems ?? 1, 1);
      const fromExamples = itemExamples(examples);
      for (let index = 0; items.length < wanted && index < wanted + fromExamples.length + 1; index += 1) {
        const item = valueFor(schema.items ?? { type: 'string' }, `${field}[]`, items, fromExamples);
        if (!schema.uniqueItems || !items.some((other) => JSON.stringify(other) === JSON.stringify(item))) {
          items.push(item);
        }
      }
      if (items.length < wanted) throw new Error(`${field}: give its examples ${wanted} different items`);
      return items;
    }
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .filter(([, property]) => !property.readOnly)
          .map(([name, property]) => [
            name,
            valueFor(property, `${field}.${name}`, [property.default], propertyExamples(examples, name)),
          ]),
      );
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
    // An administrator writes, so that admin-only fields (a user's role) are writable too; the items
    // they update belong to an ordinary user, so that no write depends on what else exists (demoting
    // the caller themselves would be refused while they are the only administrator).
    const caller = await registeredCaller(suite.handler, 'round-trip', { groups: ['admin'] });
    const owner = await registeredCaller(suite.handler, 'round-trip-owner');
    /** The owner POSTs a new item to `concrete` (the collection `template`); returns the item's path. */
    const createAt = async (template: string, concrete: string): Promise<string> => {
      const create = createOn(template);
      if (!create) throw new Error(`${entry.operationId}: no POST ${template} to create an item`);
      const created = await owner.call('POST', concrete, {
        ...(bodySchema(create.operation) ? { body: requiredOnly(create.operation) } : {}),
      });
      expect([200, 201], JSON.stringify(created.body)).toContain(created.status);
      return `${concrete}/${String(created.body.id)}`;
    };
    /** `template` with each path parameter replaced by the id of an item created for it. */
    const fill = async (template: string): Promise<string> => {
      let concrete = '';
      let prefix = '';
      for (const segment of template.split('/').slice(1)) {
        concrete = /^\{[^}]+\}$/.test(segment) ? await createAt(prefix, concrete) : `${concrete}/${segment}`;
        prefix = `${prefix}/${segment}`;
      }
      return concrete;
    };
    const createIn = async (collection: string) => createAt(collection, await fill(collection));
    /** The item at `itemPath` read back: its GET, or else its entry in the collection's list. */
    const readBack = async (template: string, itemPath: string) => {
      if (itemGetOf(template)) return (await caller.call('GET', itemPath)).body;
      const list = all.find((candidate) => candidate.method === 'get' && candidate.path === template);
      if (!list) throw new Error(`${entry.operationId}: no GET to read ${template}/{id} back`);
      const collectionPath = itemPath.slice(0, itemPath.lastIndexOf('/'));
      const listed = await caller.call<{ items: Array<Record<string, unknown>> }>('GET', collectionPath);
      expect(listed.status).toBe(200);
      const id = itemPath.slice(itemPath.lastIndexOf('/') + 1);
      return listed.body.items.find((item) => item.id === id) ?? {};
    };

    let itemPath: string;
    let collection: string;
    let sent: Record<string, unknown>;
    if (entry.method === 'post') {
      collection = entry.path;
      const concrete = await fill(entry.path);
      sent = fullBody(entry.operation);
      const created = await caller.call(entry.method.toUpperCase(), concrete, { body: sent });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      itemPath = `${concrete}/${String(created.body.id)}`;
    } else {
      collection = entry.path.replace(/\/\{[^/}]+\}$/, '');
      itemPath = await createIn(collection);
      const before = await caller.call('GET', itemPath);
      expect(before.status).toBe(200);
      const headers: Record<string, string> = before.headers.etag ? { 'If-Match': before.headers.etag } : {};
      sent = fullBody(entry.operation, before.body);
      const updated = await caller.call(entry.method.toUpperCase(), itemPath, { body: sent, headers });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    }

    const read = await readBack(collection, itemPath);
    const dropped = Object.entries(sent)
      .filter(([field, value]) => JSON.stringify(read[field]) !== JSON.stringify(value))
      .map(([field, value]) => `${field}: sent ${JSON.stringify(value)}, read ${JSON.stringify(read[field])}`);
    expect(dropped, `${entry.operationId} → ${itemPath}`).toEqual([]);
  });
});

/** A body with only the required fields, for creating an item to update. */
function requiredOnly(operation: (typeof all)[number]['operation']) {
  const schema = bodySchema(operation);
  const body = fullBody(operation);
  return Object.fromEntries(Object.entries(body).filter(([field]) => schema?.required?.includes(field)));
}
