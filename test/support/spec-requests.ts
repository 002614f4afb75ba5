/**
 * Requests made from generated/openapi.json for any operation: one it accepts (path parameters
 * filled in, the JSON body from its first named example) and ones it must reject — a malformed
 * parameter or body (400), a body over the size limit (413), a body that is not JSON (415). The
 * checks of what every operation shares (throttling, outage, failing queries, forged tokens, the
 * origin check, validation) send these, so a new operation is covered without an edit.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type OperationId, operations } from '../../generated/operations.ts';
import { creatingOperations } from '../../scripts/lib/creating-operations.ts';
import {
  arrayEncoding,
  dereference,
  listOperations,
  type OpenApiDocument,
  operationParameters,
  type SchemaObject,
} from '../../scripts/lib/openapi.ts';

const document = JSON.parse(
  readFileSync(new URL('../../generated/openapi.json', import.meta.url), 'utf8'),
) as OpenApiDocument;

export interface SpecRequest {
  operationId: OperationId;
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** A request the operation must answer with 400, and what is wrong with it. */
export interface MalformedRequest extends SpecRequest {
  flaw: string;
}

/** Path parameter values by name, e.g. `{ taskId }`; a UUID parameter not given gets a fresh UUID. */
export type PathValues = Partial<Record<string, string>>;

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: SchemaObject;
  /** An array parameter's wire form: repeated (`?name=a&name=b`) or comma-separated (`a,b`). */
  array?: 'repeated' | 'comma';
  /** The parameter's own `example` (or first named example), which OpenAPI puts beside the schema. */
  example?: unknown;
}

/** A parameter's value as sent: text, or an array parameter's items. */
type WireValue = string | string[];

interface Shape {
  parameters: Parameter[];
  /** The first named example of the JSON request body; undefined for an operation without one. */
  bodyExample: unknown;
}

const shapes = new Map<string, Shape>(
  listOperations(document).map(({ operationId, operation, pathItem }) => {
    const parameters = operationParameters(document, pathItem, operation).map((parameter): Parameter => {
      const schema = dereference(document, parameter.schema ?? {}) as SchemaObject;
      const array = arrayEncoding(parameter, schema);
      const { example, examples } = parameter as { example?: unknown; examples?: Record<string, { value?: unknown }> };
      const named = Object.values(examples ?? {})[0]?.value;
      return {
        name: parameter.name,
        in: parameter.in,
        required: parameter.required === true,
        schema,
        ...(array ? { array } : {}),
        ...((example ?? named) === undefined ? {} : { example: example ?? named }),
      };
    });
    const content = (
      dereference(document, operation.requestBody ?? {}) as {
        content?: Record<string, { example?: unknown; examples?: Record<string, { value?: unknown }> }>;
      }
    ).content?.['application/json'];
    const [first] = Object.values(content?.examples ?? {});
    return [operationId, { parameters, bodyExample: first ? first.value : content?.example }];
  }),
);

function shapeOf(operationId: OperationId): Shape {
  const shape = shapes.get(operationId);
  if (!shape) throw new Error(`${operationId} is not in generated/openapi.json: run npm run generate`);
  return shape;
}

/** A value `schema` accepts, from its example, default or enum (an array's from its items'); undefined when none is given. */
function exampleOf(schema: SchemaObject): unknown {
  const given = schema.example ?? schema.default ?? schema.enum?.[0] ?? schema.minimum;
  if (given !== undefined || schema.type !== 'array' || !schema.items) return given;
  const item = exampleOf(schema.items);
  return item === undefined ? undefined : [item];
}

/**
 * A value the parameter's schema accepts, as sent on the wire. An array sends the items of its
 * example (at most its `maxItems`, and more than one when the example has them), so a runtime that
 * read only one item would be seen; uuid items are fresh uuids.
 */
function validValue(operationId: OperationId, { name, schema, example }: Parameter): WireValue {
  if (schema.format === 'uuid') return randomUUID();
  if (schema.type === 'array' && schema.items?.format === 'uuid') {
    return Array.from({ length: Math.min(2, schema.maxItems ?? 2) }, () => randomUUID());
  }
  const value = example ?? exampleOf(schema);
  if (value === undefined) {
    throw new Error(`${operationId}: give parameter ${name} an example, so the spec-derived checks can send it`);
  }
  return Array.isArray(value) ? value.slice(0, schema.maxItems).map(String) : String(value);
}

/** A value the parameter's schema rejects, and why; undefined when none is obvious. An array's flaw is in an item after a valid one. */
function invalidValue(operationId: OperationId, parameter: Parameter): { value: WireValue; why: string } | undefined {
  const { schema } = parameter;
  if (schema.type === 'array' && schema.items) {
    const item = invalidValue(operationId, { name: parameter.name, in: '', required: false, schema: schema.items });
    if (!item) return undefined;
    const [first] = [validValue(operationId, parameter)].flat();
    return {
      value: [...(first === undefined ? [] : [first]), String(item.value)],
      why: `has an item that ${item.why}`,
    };
  }
  if (schema.format === 'uuid') return { value: 'not-a-uuid', why: 'is not a UUID' };
  if (schema.enum) return { value: 'not-a-documented-value', why: 'is outside its enum' };
  if (schema.minimum !== undefined) return { value: String(schema.minimum - 1), why: 'is below its minimum' };
  if (schema.maximum !== undefined) return { value: String(schema.maximum + 1), why: 'is above its maximum' };
  if (schema.maxLength !== undefined) return { value: 'x'.repeat(schema.maxLength + 1), why: 'is too long' };
  return undefined;
}

/** A parameter's value as text: an array's items joined by commas (a path, a header, or a query with `explode: false`). */
const joined = (value: WireValue) => [value].flat().join(',');

/** `name=value` pairs of a query parameter, percent-encoded; a repeated array gives one per item. */
function queryPairs(parameter: Parameter, value: WireValue): string[] {
  const name = encodeURIComponent(parameter.name);
  if (parameter.array === 'repeated') return [value].flat().map((item) => `${name}=${encodeURIComponent(item)}`);
  return [`${name}=${[value].flat().map(encodeURIComponent).join(',')}`];
}

function build(operationId: OperationId, values: PathValues, replaced?: { parameter: Parameter; value: WireValue }) {
  const { parameters, bodyExample } = shapeOf(operationId);
  const { method, path: template } = operations[operationId];
  const sentValue = (parameter: Parameter): WireValue =>
    replaced?.parameter === parameter
      ? replaced.value
      : parameter.in === 'path'
        ? (values[parameter.name] ?? validValue(operationId, parameter))
        : validValue(operationId, parameter);
  const path = template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const parameter = parameters.find((candidate) => candidate.in === 'path' && candidate.name === name);
    return encodeURIComponent(parameter ? joined(sentValue(parameter)) : (values[name] ?? randomUUID()));
  });
  const sent = (location: string) =>
    parameters.filter(
      (parameter) => parameter.in === location && (parameter.required || replaced?.parameter === parameter),
    );
  const query = sent('query').flatMap((parameter) => queryPairs(parameter, sentValue(parameter)));
  const headers = Object.fromEntries(sent('header').map((parameter) => [parameter.name, joined(sentValue(parameter))]));
  if (operations[operationId].hasBody && bodyExample === undefined) {
    throw new Error(
      `${operationId}: give its JSON request body a named example, so the spec-derived checks can send it`,
    );
  }
  const request: SpecRequest = {
    operationId,
    method,
    path: query.length > 0 ? `${path}?${query.join('&')}` : path,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(operations[operationId].hasBody ? { body: structuredClone(bodyExample) } : {}),
  };
  return request;
}

/** A request the operation accepts (the ids need not exist): `values` fills path parameters by name. */
export function validRequest(operationId: OperationId, values: PathValues = {}): SpecRequest {
  return build(operationId, values);
}

/**
 * A request the operation's validation rejects with 400: a path, query or header parameter its
 * schema rejects, or else a body that is not JSON. Undefined for an operation with no input to get wrong.
 */
export function malformedRequest(operationId: OperationId, values: PathValues = {}): MalformedRequest | undefined {
  for (const location of ['path', 'query', 'header']) {
    for (const parameter of shapeOf(operationId).parameters.filter((candidate) => candidate.in === location)) {
      const invalid = invalidValue(operationId, parameter);
      if (!invalid) continue;
      const request = build(operationId, values, { parameter, value: invalid.value });
      return { ...request, flaw: `${location} parameter ${parameter.name} ${invalid.why}` };
    }
  }
  if (!operations[operationId].hasBody) return undefined;
  const { body: _body, ...request } = build(operationId, values);
  return {
    ...request,
    rawBody: '{"unfinished":',
    headers: { ...request.headers, 'Content-Type': 'application/json' },
    flaw: 'the body is not valid JSON',
  };
}

/** Over the 64 KiB body limit (413); undefined for an operation without a body. */
export function oversizedRequest(operationId: OperationId, values: PathValues = {}): SpecRequest | undefined {
  if (!operations[operationId].hasBody) return undefined;
  const { body, ...request } = build(operationId, values);
  return { ...request, body: { ...(body as object), padding: 'x'.repeat(70_000) } };
}

/** A body sent as text/plain (415); undefined for an operation without a body. */
export function wrongMediaTypeRequest(operationId: OperationId, values: PathValues = {}): SpecRequest | undefined {
  if (!operations[operationId].hasBody) return undefined;
  const { body, ...request } = build(operationId, values);
  return { ...request, rawBody: JSON.stringify(body), headers: { ...request.headers, 'Content-Type': 'text/plain' } };
}

/** The statuses the operation documents, as numbers. */
export function documentedStatuses(operationId: OperationId): number[] {
  const listed = listOperations(document).find((candidate) => candidate.operationId === operationId);
  return Object.keys(listed?.operation.responses ?? {}).map(Number);
}

/**
 * One of each resource the spec's path parameters name, made through the API by one caller with
 * the spec's example bodies (a registered caller's registerUser answers their own id), except those
 * `given` already holds. Returns every id by parameter name, ready for validRequest.
 */
export async function createOneOfEach(
  send: (request: SpecRequest) => Promise<{ status: number; json?: unknown }>,
  given: PathValues = {},
): Promise<PathValues> {
  const values: PathValues = { ...given };
  for (const { parameter, operationId } of creatingOperations()) {
    if (values[parameter] !== undefined) continue;
    const response = await send(validRequest(operationId, values));
    const id = (response.json as { id?: unknown } | undefined)?.id;
    if (response.status >= 300 || typeof id !== 'string') {
      throw new Error(
        `${operationId} did not create a ${parameter} (${response.status}): ${JSON.stringify(response.json)}`,
      );
    }
    values[parameter] = id;
  }
  return values;
}
