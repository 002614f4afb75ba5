/**
 * Hostile requests derived from generated/openapi.json with fast-check. For each operation the
 * spec's parameters and request-body schema give a valid base request; one or more flaws then make
 * it invalid: wrong types, missing and unknown fields (nested objects too), lengths one past
 * minLength/maxLength, arrays one past minItems/maxItems, repeated items where they must be unique,
 * a bad item, values outside an enum, pattern or format, huge numbers, malformed JSON, a wrong or missing
 * Content-Type, a body over the 64 KiB limit, bytes that are not UTF-8, and SQL and path-injection
 * strings in every string field and path parameter. Noise the API must ignore (unknown query
 * parameters and headers, a body on a GET) rides along; an operation with no input to get wrong
 * (getHealth, getCurrentUser) receives noise only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { OperationId } from '../../../generated/operations.ts';
import {
  arrayEncoding,
  dereference,
  type Json,
  listOperations,
  type OpenApiDocument,
  operationParameters,
  type SchemaObject,
} from '../../../scripts/lib/openapi.ts';
import type { RawRequest } from './http.ts';

const specFile = fileURLToPath(new URL('../../../generated/openapi.json', import.meta.url));
const document = JSON.parse(readFileSync(specFile, 'utf8')) as OpenApiDocument;

export interface OperationShape {
  operationId: OperationId;
  method: string;
  template: string;
  path: Array<{ name: string; schema: SchemaObject }>;
  /**
   * `cursor`: the list's page cursor (named `cursor`, or marked `x-page-cursor: true`), which only the API issues.
   * `array`: an array parameter's wire form, its items repeated (`?name=a&name=b`) or comma-separated.
   */
  query: QueryParameter[];
  headers: Array<{ name: string; schema: SchemaObject }>;
  body: SchemaObject | undefined;
}

export interface QueryParameter {
  name: string;
  schema: SchemaObject;
  cursor: boolean;
  array?: 'repeated' | 'comma';
}

/** Every operation of the spec with its parameters and body schema, references resolved. */
export function operationShapes(): OperationShape[] {
  return listOperations(document).map(({ operationId, method, path: template, operation, pathItem }) => {
    const parameters = operationParameters(document, pathItem, operation).map((parameter) => {
      const schema = dereference(document, (parameter.schema ?? {}) as Json) as SchemaObject;
      const array = arrayEncoding(parameter, schema);
      return {
        name: parameter.name,
        in: parameter.in,
        schema,
        cursor: parameter.name === 'cursor' || (parameter as { 'x-page-cursor'?: unknown })['x-page-cursor'] === true,
        ...(array ? { array } : {}),
      };
    });
    const requestBody = operation.requestBody && dereference(document, operation.requestBody as Json);
    const bodySchema = (requestBody as { content?: Record<string, { schema?: Json }> } | undefined)?.content?.[
      'application/json'
    ]?.schema;
    const of = (location: string) =>
      parameters.filter((p) => p.in === location).map(({ name, schema }) => ({ name, schema }));
    return {
      operationId: operationId as OperationId,
      method: method.toUpperCase(),
      template,
      path: of('path'),
      query: parameters
        .filter((p) => p.in === 'query')
        .map(({ name, schema, cursor, array }) => ({ name, schema, cursor, ...(array ? { array } : {}) })),
      headers: of('header'),
      body: bodySchema ? (dereference(document, bodySchema) as SchemaObject) : undefined,
    };
  });
}

/** Strings an attacker tries in every field: SQL injection, path traversal, and text PostgreSQL cannot store. */
export const injectionStrings = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "'; DROP TABLE tasks; --",
  '"; DROP TABLE users; --',
  '1; SELECT pg_sleep(5)',
  "') UNION SELECT id, email, role FROM users --",
  "%' AND 1=1 --",
  "admin'--",
  '$1',
  '\\x27; --',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '....//....//etc/passwd',
  '/etc/passwd%00.json',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%252f..%252fusers',
  'file:///etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  'a\u0000b',
  '\u0000',
  '\u202egnp.exe',
  '\ud800',
  '😀'.repeat(3),
];

const codePoints = (text: string) => [...text].length;

/** Percent-encodes every byte outside the unreserved set of RFC 3986 (lone surrogates become U+FFFD). */
export function percentEncode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** A number written into the JSON text as is (`1e400` parses to Infinity; JSON.stringify cannot write it). */
class RawNumber {
  constructor(readonly text: string) {}
}

function toJsonText(value: unknown): string {
  if (value instanceof RawNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const hugeNumbers = fc.oneof(
  fc
    .constantFrom('1e400', '-1e400', '123456789012345678901234567890', '9007199254740993', '-0', '1e-400')
    .map((text) => new RawNumber(text)),
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE),
);

/** Text of exactly `length` code points, mixing ASCII, accents, CJK, emoji and quote characters. */
const textOfLength = (length: number) =>
  fc
    .tuple(fc.constantFrom('a', 'é', '中', '😀', "'", '"', '\\', ' '), fc.constantFrom(...injectionStrings, ''))
    .map(([filler, prefix]) => {
      const start = [...prefix].slice(0, length).join('');
      return start + filler.repeat(length - codePoints(start));
    });

/** A value `schema` accepts. Strings mix ordinary text with injection strings that fit the length limits. */
export function validValue(schema: SchemaObject): fc.Arbitrary<unknown> {
  const value = ((): fc.Arbitrary<unknown> => {
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.type === 'integer') return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    if (schema.type === 'number') {
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    }
    if (schema.type === 'boolean') return fc.boolean();
    if (schema.type === 'array') {
      const item = validValue(schema.items ?? {});
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 5) };
      return schema.uniqueItems
        ? fc.uniqueArray(item, { ...constraints, selector: (value) => JSON.stringify(value) })
        : fc.array(item, constraints);
    }
    if (schema.type === 'object') {
      const properties = schema.properties ?? {};
      const record = fc.record(
        Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, validValue(property)])),
        { requiredKeys: schema.required ?? [] },
      );
      return schema.minProperties
        ? record.filter((body) => Object.keys(body).length >= (schema.minProperties ?? 0))
        : record;
    }
    if (schema.format === 'uuid') return fc.uuid();
    if (schema.format === 'date-time') {
      return fc
        .date({ min: new Date('1970-01-01'), max: new Date('2100-12-31'), noInvalidDate: true })
        .map((date) => date.toISOString());
    }
    if (schema.format === 'email')
      return fc.emailAddress().filter((email) => email.length <= (schema.maxLength ?? 254));
    if (schema.format === 'date') {
      return fc
        .date({ min: new Date('1970-01-01'), max: new Date('2100-12-31'), noInvalidDate: true })
        .map((date) => date.toISOString().slice(0, 10));
    }
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern);
      return fc
        .stringMatching(pattern)
        .filter((text) => text.length >= (schema.minLength ?? 0) && text.length <= (schema.maxLength ?? 64));
    }
    const min = schema.minLength ?? 0;
    const max = Math.min(schema.maxLength ?? 64, 64);
    const fits = injectionStrings.filter((text) => codePoints(text) >= min && codePoints(text) <= max);
    return fc.oneof(
      fc.constantFrom(...fits),
      fc.string({ minLength: Math.max(min, 1), maxLength: max, unit: 'grapheme' }),
    );
  })();
  return schema.nullable ? fc.option(value, { nil: null }) : value;
}

/** A value `schema` rejects, with the reason. */
export function invalidValue(schema: SchemaObject): fc.Arbitrary<{ value: unknown; flaw: string }> {
  const flawed = (flaw: string, arbitrary: fc.Arbitrary<unknown>) => arbitrary.map((value) => ({ value, flaw }));
  // Values of every JSON type but the schema's own (an array is no wrong type for an array).
  const otherTypes: fc.Arbitrary<unknown>[] = [];
  if (schema.type !== 'boolean') otherTypes.push(fc.boolean());
  if (schema.type !== 'array') otherTypes.push(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }));
  if (schema.type !== 'object') {
    otherTypes.push(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }));
  }
  if (!schema.nullable) otherTypes.push(fc.constant(null));
  if (schema.type !== 'integer' && schema.type !== 'number') otherTypes.push(fc.integer(), hugeNumbers);
  if (schema.type !== 'string') otherTypes.push(fc.constantFrom(...injectionStrings));
  const candidates: fc.Arbitrary<{ value: unknown; flaw: string }>[] = [flawed('wrong type', fc.oneof(...otherTypes))];
  if (schema.type === 'array') {
    const items = schema.items ?? {};
    const valid = validValue(items);
    candidates.push(
      invalidValue(items).chain(({ value, flaw }) =>
        fc.array(valid, { maxLength: 2 }).map((others) => ({ value: [...others, value], flaw: `an item: ${flaw}` })),
      ),
    );
    if (schema.maxItems !== undefined) {
      const over = schema.maxItems + 1;
      candidates.push(flawed(`maxItems ${schema.maxItems} + 1`, fc.array(valid, { minLength: over, maxLength: over })));
    }
    if (schema.minItems) {
      const under = schema.minItems - 1;
      candidates.push(
        flawed(`minItems ${schema.minItems} - 1`, fc.array(valid, { minLength: under, maxLength: under })),
      );
    }
    if (schema.uniqueItems) {
      candidates.push(
        flawed(
          'a repeated item (uniqueItems)',
          valid.map((item) => [item, structuredClone(item)]),
        ),
      );
    }
  }
  if (schema.type === 'object') {
    const valid = validValue(schema) as fc.Arbitrary<Record<string, unknown>>;
    for (const name of schema.required ?? []) {
      candidates.push(
        flawed(
          `missing required ${name}`,
          valid.map(({ [name]: _removed, ...rest }) => rest),
        ),
      );
    }
    if (schema.additionalProperties === false) {
      const known = new Set(Object.keys(schema.properties ?? {}));
      candidates.push(
        flawed(
          'an unknown field',
          fc
            .tuple(
              valid,
              fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !known.has(name)),
            )
            .map(([value, name]) => ({ ...value, [name]: 1 })),
        ),
      );
    }
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      candidates.push(
        fc.tuple(valid, invalidValue(property)).map(([value, flawedProperty]) => ({
          value: { ...value, [name]: flawedProperty.value },
          flaw: `${name}: ${flawedProperty.flaw}`,
        })),
      );
    }
  }
  if (schema.enum) {
    const allowed = new Set(schema.enum);
    candidates.push(
      flawed(
        'not in the enum',
        fc
          .oneof(
            fc.constantFrom(...schema.enum).map((value) => value.toUpperCase()),
            fc.constantFrom(...schema.enum).map((value) => ` ${value}`),
            fc.constantFrom(...injectionStrings, ''),
            fc.string({ maxLength: 12 }),
          )
          .filter((value) => !allowed.has(value)),
      ),
    );
  } else if (schema.type === 'string') {
    if (schema.maxLength !== undefined) {
      const max = schema.maxLength;
      candidates.push(flawed(`maxLength ${max} + 1`, fc.integer({ min: max + 1, max: max + 2 }).chain(textOfLength)));
    }
    if (schema.minLength)
      candidates.push(flawed(`minLength ${schema.minLength} - 1`, textOfLength(schema.minLength - 1)));
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern);
      candidates.push(
        flawed(
          `does not match ${schema.pattern}`,
          fc
            .oneof(
              fc.constantFrom(...injectionStrings, '4155550100', '+0123456789', '+1 415 555 0100', '+1415555010012345'),
              fc.string({ minLength: 1, maxLength: 20 }),
            )
            .filter((value) => !pattern.test(value)),
        ),
      );
    }
    if (schema.format === 'date') {
      candidates.push(
        flawed(
          'not a calendar date',
          fc.constantFrom(
            '2026-02-30',
            '2026-13-01',
            '2026-00-10',
            '2026-1-1',
            '26-01-01',
            '2026/01/01',
            '20260101',
            '2026-01-01T00:00:00Z',
            '0000-01-01',
            '9999-99-99',
            '',
            ...injectionStrings,
          ),
        ),
      );
    }
    if (schema.format === 'uuid') candidates.push(flawed('not a uuid', invalidUuid));
  }
  return fc.oneof(...candidates);
}

/** Path and query values that are not UUIDs (and `urn:uuid:…`, which the validator accepts but PostgreSQL does not). */
const invalidUuid: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...injectionStrings),
  fc
    .uuid()
    .chain((uuid) =>
      fc.constantFrom(
        `${uuid}x`,
        uuid.slice(1),
        uuid.replaceAll('-', ''),
        `{${uuid}}`,
        `urn:uuid:${uuid}`,
        `${uuid}' OR '1'='1`,
        `${uuid}/../${uuid}`,
      ),
    ),
  fc.integer().map(String),
  fc.double().map(String),
  fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
);

/** Raw path segments with malformed percent-escapes, sent without encoding. */
const malformedSegments = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%FF%FE', '%ED%A0%80', '%00', '%0A', '%25%'];

/**
 * A query value the parameter rejects (query values are strings on the wire and get coerced). An
 * array parameter's is its items as sent: valid ones around a bad one, one past `maxItems`, one
 * under `minItems` (when that still sends one), or a repeated item where they must be unique.
 */
export function invalidQueryValue({
  name,
  schema,
  cursor,
  array,
}: QueryParameter): fc.Arbitrary<{ value: string | string[]; flaw: string }> {
  if (schema.type === 'array') {
    const items = schema.items ?? {};
    // A comma-separated item must not hold a comma, or it would arrive as two.
    const valid = validValue(items)
      .map(String)
      .filter((item) => array !== 'comma' || !item.includes(','));
    const flaws: fc.Arbitrary<{ value: string[]; flaw: string }>[] = [
      fc
        .tuple(
          fc.array(valid, { maxLength: 1 }),
          invalidQueryValue({ name, schema: items, cursor: false }).filter(
            ({ value }) => array !== 'comma' || !String(value).includes(','),
          ),
        )
        .map(([before, { value, flaw }]) => ({ value: [...before, String(value)], flaw: `${flaw} (an item)` })),
    ];
    const list = (length: number) =>
      schema.uniqueItems
        ? fc.uniqueArray(valid, { minLength: length, maxLength: length })
        : fc.array(valid, { minLength: length, maxLength: length });
    if (schema.maxItems !== undefined) {
      const over = schema.maxItems + 1;
      flaws.push(list(over).map((value) => ({ value, flaw: `${name}: maxItems ${schema.maxItems} + 1` })));
    }
    if (schema.minItems !== undefined && schema.minItems > 1) {
      const under = schema.minItems - 1;
      flaws.push(list(under).map((value) => ({ value, flaw: `${name}: minItems ${schema.minItems} - 1` })));
    }
    if (schema.uniqueItems) {
      flaws.push(valid.map((item) => ({ value: [item, item], flaw: `${name}: a repeated item (uniqueItems)` })));
    }
    return fc.oneof(...flaws);
  }
  if (schema.type === 'integer') {
    return fc
      .oneof(
        fc.integer({ max: (schema.minimum ?? 1) - 1 }).map(String),
        fc.integer({ min: (schema.maximum ?? 100) + 1 }).map(String),
        fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }).map(String),
        fc.constantFrom(
          '',
          'abc',
          'NaN',
          'Infinity',
          '-Infinity',
          '1e400',
          '99999999999999999999',
          '1.5',
          ...injectionStrings,
        ),
      )
      .map((value) => ({ value, flaw: `${name}: not an integer in range` }));
  }
  if (cursor) {
    // A cursor this API did not issue: off-pattern text, too long, or well-formed but forged.
    const forged = (entries: unknown) => Buffer.from(JSON.stringify(entries)).toString('base64url');
    return fc
      .oneof(
        fc.constantFrom('', ...injectionStrings),
        fc.constant('A'.repeat((schema.maxLength ?? 200) + 1)),
        fc
          .uuid()
          .chain((uuid) =>
            fc.constantFrom(
              forged(['0000-01-01T00:00:00Z', uuid]),
              forged(['not a date', uuid]),
              forged(['2026-01-01T00:00:00Z', `${uuid}' OR 1=1`]),
              forged({ createdAt: '2026-01-01' }),
            ),
          ),
        fc.base64String({ minLength: 4, maxLength: 40 }).map((text) => text.replace(/[+/=]/g, '_')),
      )
      .map((value) => ({ value, flaw: `${name}: not a cursor this API issued` }));
  }
  // On the wire every value is text: a number is no wrong type for a string parameter.
  return invalidValue(schema)
    .filter((candidate) => !(schema.type === 'string' && candidate.flaw === 'wrong type'))
    .filter((candidate) => typeof candidate.value === 'string' || typeof candidate.value === 'number')
    .map(({ value, flaw }) => ({ value: String(value), flaw: `${name}: ${flaw}` }));
}

/** The state one request is assembled from; a flaw mutates it. */
interface Draft {
  pathValues: Record<string, string>;
  /** By parameter name; an array parameter's value is its items. */
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  /** Replaces the serialised body when a flaw is in the bytes rather than the value. */
  bodyBytes: ((text: string) => Uint8Array | string) | undefined;
  contentType: string | undefined;
}

interface Flaw {
  flaw: string;
  /** What the API must answer this flaw with: 400 (validation) unless said otherwise. */
  status?: 413 | 415;
  apply(draft: Draft): void;
}

const wrongContentTypes = [
  'text/plain',
  'text/html; charset=utf-8',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/json5',
  'application/jsonx',
  'text/json',
  'json',
  '*/*',
];
const invalidUtf8 = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xc1, 0xbf], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80]];
const maxBodyBytes = 64 * 1024;

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Flaws in the body's bytes: not JSON, not declared as JSON, not UTF-8, empty, or over the limit. */
const transportFlaw: fc.Arbitrary<Flaw> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        'truncated',
        'trailing garbage',
        'single quotes',
        'trailing comma',
        'NaN',
        'comment',
        'deep nesting',
      ),
      fc.nat(),
    )
    .map(
      ([variant, cut]): Flaw => ({
        flaw: `malformed JSON (${variant})`,
        apply: (draft) => {
          draft.bodyBytes = (text) => {
            const broken = {
              truncated: text.slice(0, cut % Math.max(text.length, 1)),
              'trailing garbage': `${text}}`,
              'single quotes': text.replaceAll('"', "'"),
              'trailing comma': `${text.replace(/}$/, '')},}`,
              NaN: '{"title": NaN}',
              comment: `/* ${text} */`,
              'deep nesting': `${'['.repeat(5000)}${']'.repeat(4999)}`,
            }[variant as string] as string;
            return broken === '' || !parses(broken) ? broken : `${broken} ]`;
          };
        },
      }),
    ),
  fc.constantFrom(...wrongContentTypes, undefined).map(
    (contentType): Flaw => ({
      flaw: contentType ? `Content-Type ${contentType}` : 'no Content-Type',
      status: 415,
      apply: (draft) => {
        draft.contentType = contentType;
      },
    }),
  ),
  fc.constant<Flaw>({
    flaw: 'empty body',
    apply: (draft) => {
      draft.bodyBytes = () => '';
    },
  }),
  fc.integer({ min: maxBodyBytes + 1, max: 2 * maxBodyBytes }).map(
    (size): Flaw => ({
      flaw: `body of ${size} bytes (limit ${maxBodyBytes})`,
      status: 413,
      apply: (draft) => {
        draft.bodyBytes = (text) => text + ' '.repeat(Math.max(0, size - Buffer.byteLength(text)));
      },
    }),
  ),
  fc.tuple(fc.constantFrom(...invalidUtf8), fc.nat()).map(
    ([bytes, at]): Flaw => ({
      flaw: `not UTF-8 (${bytes.map((byte) => byte.toString(16)).join(' ')})`,
      apply: (draft) => {
        draft.bodyBytes = (text) => {
          const encoded = Buffer.from(text, 'utf8');
          const index = at % (encoded.length + 1);
          return Buffer.concat([encoded.subarray(0, index), Buffer.from(bytes), encoded.subarray(index)]);
        };
      },
    }),
  ),
);

/** Flaws in the body's value, derived from its schema. */
function schemaFlaw(schema: SchemaObject): fc.Arbitrary<Flaw> {
  const properties = Object.entries(schema.properties ?? {});
  const names = new Set(properties.map(([name]) => name));
  const asObject = (draft: Draft) =>
    draft.body !== null && typeof draft.body === 'object' && !Array.isArray(draft.body)
      ? (draft.body as Record<string, unknown>)
      : undefined;
  const flaws: fc.Arbitrary<Flaw>[] = [
    fc
      .oneof(
        fc
          .jsonValue({ maxDepth: 2 })
          .filter((value) => typeof value !== 'object' || Array.isArray(value) || value === null),
        hugeNumbers,
      )
      .map((value) => ({
        flaw: `body is ${value instanceof RawNumber || typeof value === 'number' ? `the number ${toJsonText(value)}` : Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
        apply: (draft) => {
          draft.body = value;
        },
      })),
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom(
            'id',
            'ownerId',
            'owner_id',
            'version',
            'isAdmin',
            'createdAt',
            'email',
            'constructor',
            '__proto__',
          ),
          fc.string({ minLength: 1, maxLength: 12 }),
        ),
        fc.jsonValue({ maxDepth: 1 }),
      )
      .filter(([name]) => !names.has(name))
      .map(([name, value]) => ({
        flaw: `unknown field ${JSON.stringify(name)}`,
        apply: (draft) => {
          const body = asObject(draft) ?? {};
          // defineProperty: `__proto__` must become an own field of the JSON, not the prototype.
          Object.defineProperty(body, name, { value, enumerable: true, configurable: true, writable: true });
          draft.body = body;
        },
      })),
    ...properties.map(([name, property]) =>
      invalidValue(property).map(({ value, flaw }) => ({
        flaw: `${name}: ${flaw}`,
        apply: (draft: Draft) => {
          draft.body = { ...(asObject(draft) ?? {}), [name]: value };
        },
      })),
    ),
  ];
  for (const name of schema.required ?? []) {
    flaws.push(
      fc.constant<Flaw>({
        flaw: `missing required ${name}`,
        apply: (draft) => {
          const { [name]: _removed, ...rest } = asObject(draft) ?? {};
          draft.body = rest;
        },
      }),
    );
  }
  if (schema.minProperties) {
    flaws.push(
      fc.constant<Flaw>({
        flaw: `fewer than ${schema.minProperties} properties`,
        apply: (draft) => {
          draft.body = {};
        },
      }),
    );
  }
  return fc.oneof(...flaws);
}

/**
 * Who sends the hostile requests: a caller allowed every operation (an administrator), with their
 * token and their own resources' ids by path parameter name (`userId`, `taskId`). A valid request
 * would succeed, so what answers a flawed one is validation, not a lookup or a permission check.
 */
export interface Sender {
  token: string;
  ids: Record<string, string>;
}

const noiseQueryNames = [
  'q',
  'sort',
  "name' OR 1=1",
  'limit[]',
  'ownerId[$ne]',
  'constructor',
  '__proto__',
  'toString',
  '_method',
];
const noiseHeaders: Array<[string, string]> = [
  ['X-Forwarded-For', "127.0.0.1' OR 1=1 --"],
  ['X-Original-URL', '/users'],
  ['X-HTTP-Method-Override', 'DELETE'],
  ['X-Amz-Security-Token', "'; DROP TABLE users; --"],
  ['Cookie', 'session=../../etc/passwd'],
  ['Accept', 'application/xml'],
  ['__proto__', 'polluted'],
  ['constructor', 'polluted'],
];

export interface HostileRequest extends RawRequest {
  operationId: OperationId;
  /** Why this request must be rejected; empty when it carries only noise the API must ignore. */
  flaws: string[];
  /** The status its flaws must get (400, 413 or 415); undefined for noise only. */
  status: number | undefined;
}

/** Requests for one operation that the API must reject (or, with noise only, answer as usual). */
export function hostileRequests(shape: OperationShape, sender: Sender): fc.Arbitrary<HostileRequest> {
  const flaws: fc.Arbitrary<Flaw>[] = [];
  for (const { name } of shape.path) {
    flaws.push(
      fc
        .oneof(invalidUuid.map(percentEncode), fc.constantFrom(...malformedSegments))
        .filter((segment) => segment !== '' && !/^(?:\.|%2e){1,2}$/i.test(segment))
        .map((segment) => ({
          flaw: `path ${name} = ${segment}`,
          apply: (draft) => {
            draft.pathValues[name] = segment;
          },
        })),
    );
  }
  for (const parameter of shape.query) {
    const { name } = parameter;
    flaws.push(
      invalidQueryValue(parameter).map(({ value, flaw }) => ({
        flaw: `query ${flaw} (${JSON.stringify(value).slice(0, 60)})`,
        apply: (draft) => {
          draft.query[name] = value;
        },
      })),
    );
  }
  for (const { name, schema } of shape.headers) {
    const tooLong = 'x'.repeat((schema.maxLength ?? 255) + 1);
    const values = schema.pattern
      ? ['', tooLong, 'two words', "key'; DROP TABLE idempotency_keys; --", 'caf\u00e9', 'tab\there']
      : [tooLong, `"1",${' '.repeat(schema.maxLength ?? 200)}"2"`];
    flaws.push(
      fc.constantFrom(...values).map((value) => ({
        flaw: `header ${name} = ${JSON.stringify(value).slice(0, 40)}`,
        apply: (draft) => {
          draft.headers[name] = value;
        },
      })),
    );
  }
  if (shape.body) flaws.push(schemaFlaw(shape.body), transportFlaw);

  const pathValues = Object.fromEntries(
    shape.path.map(({ name }) => {
      const id = sender.ids[name];
      if (!id) throw new Error(`hostileRequests: the sender owns no resource for path parameter ${name}`);
      return [name, percentEncode(id)];
    }),
  );
  const statusOf = (flaw: Flaw) => flaw.status ?? 400;
  return fc
    .record({
      pathValues: fc.constant(pathValues),
      body: shape.body ? validValue(shape.body) : fc.constant(undefined),
      // One or two flaws that call for the same status: the answer must name which.
      flaws:
        flaws.length > 0
          ? fc
              .array(fc.oneof(...flaws), { minLength: 1, maxLength: 2 })
              .filter((chosen) => chosen.every((flaw) => statusOf(flaw) === statusOf(chosen[0] as Flaw)))
          : fc.constant<Flaw[]>([]),
      noiseQuery: fc.dictionary(fc.constantFrom(...noiseQueryNames), fc.constantFrom(...injectionStrings), {
        maxKeys: 2,
      }),
      noiseHeaders: fc.subarray(noiseHeaders, { maxLength: 2 }),
      noiseBody: shape.body
        ? fc.constant(undefined)
        : fc.option(fc.constantFrom(...injectionStrings), { nil: undefined }),
    })
    .map(({ pathValues, body, flaws: chosen, noiseQuery, noiseHeaders: extraHeaders, noiseBody }) => {
      const draft: Draft = {
        pathValues: { ...pathValues },
        query: {},
        headers: {},
        body,
        bodyBytes: undefined,
        contentType: shape.body ? 'application/json' : undefined,
      };
      for (const flaw of chosen) flaw.apply(draft);
      const route = shape.template.replace(/\{([^}]+)\}/g, (_match, name: string) => draft.pathValues[name] ?? '');
      const query = [...Object.entries(noiseQuery), ...Object.entries(draft.query)]
        .flatMap(([name, value]) => {
          if (!Array.isArray(value)) return [`${percentEncode(name)}=${percentEncode(value)}`];
          const repeated = shape.query.find((parameter) => parameter.name === name)?.array === 'repeated';
          return repeated
            ? value.map((item) => `${percentEncode(name)}=${percentEncode(item)}`)
            : [`${percentEncode(name)}=${value.map(percentEncode).join(',')}`];
        })
        .join('&');
      const headers: Record<string, string> = { ...Object.fromEntries(extraHeaders), ...draft.headers };
      headers.Authorization = `Bearer ${sender.token}`;
      if (draft.contentType) headers['Content-Type'] = draft.contentType;
      let requestBody: Uint8Array | string | undefined = noiseBody;
      if (shape.body) {
        const text = toJsonText(draft.body);
        requestBody = draft.bodyBytes ? draft.bodyBytes(text) : text;
      }
      const request: HostileRequest = {
        operationId: shape.operationId,
        method: shape.method,
        path: query ? `${route}?${query}` : route,
        headers,
        ...(requestBody !== undefined ? { body: requestBody } : {}),
        flaws: chosen.map((flaw) => flaw.flaw),
        status: chosen[0] ? statusOf(chosen[0]) : undefined,
      };
      // Counterexamples print as one line, without the token or a 100 KiB body.
      return Object.assign(request, {
        [fc.toStringMethod]: () =>
          `${request.method} ${request.path.slice(0, 160)} [${request.flaws.join('; ') || 'noise only'}] (expects ${request.status ?? 'success'})`,
      });
    });
}
