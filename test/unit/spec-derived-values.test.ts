/**
 * The hostile-input sweep's value generators (test/reliability/support/hostile-requests.ts) against
 * every schema shape a spec may use: what `validValue` makes, Ajv accepts, and what `invalidValue`
 * makes, Ajv rejects — arrays (items, minItems, maxItems, uniqueItems), nested objects, nullable
 * values and formats, and array query parameters as their items arrive on the wire. A shape the
 * generators do not know fails here before it fails the sweep.
 */
import Ajv from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formats } from '../../handlers/runtime/formats.ts';
import { type Json, type SchemaObject, toJsonSchema } from '../../scripts/lib/openapi.ts';
import {
  invalidQueryValue,
  invalidValue,
  type QueryParameter,
  validValue,
} from '../reliability/support/hostile-requests.ts';

const ajv = new Ajv.default({ allErrors: true, strict: false });
for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format as never);

/** Values the API rejects beyond its schema (the database refuses year 0000: handlers/runtime/db.ts), which the sweep sends on purpose. */
const rejectedBeyondTheSchema = new Set(['0000-01-01']);

const label: SchemaObject = { type: 'string', minLength: 1, maxLength: 40, pattern: '^[a-z0-9-]+$' };

const shapes: Record<string, SchemaObject> = {
  'an array of patterned strings, unique, 1 to 5 items': {
    type: 'array',
    items: label,
    minItems: 1,
    maxItems: 5,
    uniqueItems: true,
  },
  'an array of enum values': { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, maxItems: 3 },
  'a nested object with a required field and no others': {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 20 },
      tags: { type: 'array', items: label, maxItems: 2 },
    },
  },
  'a nullable date-time': { type: 'string', format: 'date-time', nullable: true },
  'a nullable date': { type: 'string', format: 'date', nullable: true },
  'an email': { type: 'string', format: 'email', maxLength: 254 },
  'a uuid': { type: 'string', format: 'uuid' },
  'a bounded integer': { type: 'integer', minimum: 1, maximum: 100 },
  'a boolean': { type: 'boolean' },
};

describe('hostile-input value generators', () => {
  it.each(Object.entries(shapes))('make only valid values for %s', (_name, schema) => {
    const validate = ajv.compile(toJsonSchema(schema as Json) as object);
    fc.assert(
      fc.property(validValue(schema), (value) => {
        expect(validate(value), `${JSON.stringify(value)}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it.each(Object.entries(shapes))('make only invalid values for %s, each with its flaw', (_name, schema) => {
    const validate = ajv.compile(toJsonSchema(schema as Json) as object);
    fc.assert(
      fc.property(invalidValue(schema), ({ value, flaw }) => {
        if (typeof value === 'string' && rejectedBeyondTheSchema.has(value)) return;
        expect(validate(value), `${flaw}: ${JSON.stringify(value)} was accepted`).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('reach the array flaws: an item, one past maxItems, one under minItems, a repeated item', () => {
    const flaws = fc.sample(invalidValue(shapes['an array of patterned strings, unique, 1 to 5 items'] ?? {}), 400);
    const kinds = new Set(flaws.map(({ flaw }) => flaw.replace(/:.*$/, '')));
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        'wrong type',
        'an item',
        'maxItems 5 + 1',
        'minItems 1 - 1',
        'a repeated item (uniqueItems)',
      ]),
    );
  });
});

describe('hostile-input query values for array parameters', () => {
  /** As the runtime checks a parameter: Ajv coercing each item from text. */
  const coercing = new Ajv.default({ allErrors: true, strict: false, coerceTypes: true });

  const parameters: Record<string, QueryParameter> = {
    'repeated labels, 2 to 3, unique': {
      name: 'label',
      cursor: false,
      array: 'repeated',
      schema: { type: 'array', items: label, minItems: 2, maxItems: 3, uniqueItems: true },
    },
    'comma-separated bounded integers': {
      name: 'sizes',
      cursor: false,
      array: 'comma',
      schema: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 9 }, maxItems: 4 },
    },
  };

  it.each(Object.entries(parameters))(
    'make only item lists the coercing validator rejects, for %s',
    (_name, parameter) => {
      const validate = coercing.compile(toJsonSchema(parameter.schema as Json) as object);
      fc.assert(
        fc.property(invalidQueryValue(parameter), ({ value, flaw }) => {
          expect(Array.isArray(value), flaw).toBe(true);
          if (parameter.array === 'comma') expect([value].flat().join(',').split(',')).toEqual(value);
          expect(validate(structuredClone(value)), `${flaw}: ${JSON.stringify(value)} was accepted`).toBe(false);
        }),
        { numRuns: 200 },
      );
    },
  );

  it('reach every array flaw on the wire: a bad item, one past maxItems, one under minItems, a repeated item', () => {
    const flaws = fc.sample(invalidQueryValue(parameters['repeated labels, 2 to 3, unique'] as QueryParameter), 400);
    const kinds = new Set(
      flaws.map(({ flaw }) => (flaw.endsWith('(an item)') ? 'an item' : flaw.replace(/^label: /, ''))),
    );
    expect([...kinds].sort()).toEqual(['a repeated item (uniqueItems)', 'an item', 'maxItems 3 + 1', 'minItems 2 - 1']);
  });
});
