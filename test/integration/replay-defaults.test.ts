/**
 * A keyed create's stored response is the row as JSON, written by the code of its day: a replay
 * of one stored before a migration added a column lacks that column, and must answer the spec's
 * default for it (not undefined, which the response contract would reject). Each field with a
 * default is taken out of a stored response in turn, as an older deployment would have stored it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler } from '../../handlers/runtime/api-handler.ts';
import { taskDefaults } from '../../handlers/tasks/task-repository.ts';
import { dereference, type OpenApiDocument, type SchemaObject } from '../../scripts/lib/openapi.ts';
import { closeSuite, openSuite, registeredCaller, type Task } from './helpers.ts';

const document = JSON.parse(
  readFileSync(new URL('../../generated/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument;
const taskCreate = dereference(document, document.components?.schemas?.TaskCreate) as SchemaObject;

let handler: ApiHandler;
let db: pg.Pool;

beforeAll(() => {
  ({ handler, db } = openSuite());
});

afterAll(() => closeSuite({ handler, db }));

describe('createTask', () => {
  it('has the spec’s default for every field the spec gives one', () => {
    const specDefaults = Object.entries(taskCreate.properties ?? {}).filter(([, schema]) => 'default' in schema);
    expect(specDefaults.length).toBeGreaterThan(0);
    for (const [field, schema] of specDefaults) expect(taskDefaults, field).toHaveProperty(field, schema.default);
  });

  it.each(Object.entries(taskDefaults))(
    'when a replay was stored before %s existed, answers its default (%j)',
    async (field, fallback) => {
      // Arrange: a keyed create, then its stored response as an older deployment wrote it.
      const owner = await registeredCaller(handler, 'replay');
      const headers = { 'Idempotency-Key': randomUUID() };
      const body = { title: 'Stored before a migration' };
      const first = await owner.call<Task>('POST', '/tasks', { headers, body });
      expect(first.status).toBe(201);
      const { rows } = await db.query<{ response: Record<string, unknown> }>(
        'SELECT response FROM idempotency_keys WHERE key = $1',
        [headers['Idempotency-Key']],
      );
      const stored = rows[0]?.response ?? {};
      const column = Object.keys(stored).find((name) => name.replaceAll('_', '') === field.toLowerCase());
      expect(column, `a stored column for ${field}`).toBeDefined();
      await db.query('UPDATE idempotency_keys SET response = (response::jsonb - $2::text)::json WHERE key = $1', [
        headers['Idempotency-Key'],
        column,
      ]);

      // Act
      const replay = await owner.call<Task>('POST', '/tasks', { headers, body });

      // Assert
      expect(replay.status).toBe(201);
      expect(replay.body).toHaveProperty(field, fallback);
      expect(replay.body.id).toBe(first.body.id);
    },
  );
});
