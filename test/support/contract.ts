/**
 * Validates real HTTP responses against generated/openapi.json: the status must be documented for
 * the operation, the Content-Type must be one of its media types, the body must match that media
 * type's schema and every required documented header must be present and valid. Records which
 * (operationId, status) pairs were seen, so a suite can prove it exercised every documented status.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  dereference,
  type Json,
  listOperations,
  type OpenApiDocument,
  type OperationObject,
  toJsonSchema,
} from '../../scripts/lib/openapi.ts';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

const specFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'generated', 'openapi.json');

export interface ObservedResponse {
  status: number;
  headers: Headers;
  text: string;
}

interface DocumentedResponse {
  headers?: Record<string, { required?: boolean; schema?: Json }>;
  content?: Record<string, { schema?: Json }>;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

export function createContract(file: string = specFile) {
  const document = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
  const operations = new Map(listOperations(document).map((entry) => [entry.operationId, entry.operation]));
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  const seen = new Set<string>();

  const schemaValidator = (key: string, schema: Json) => {
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(toJsonSchema(dereference(document, schema)) as object);
      compiled.set(key, validate);
    }
    return validate;
  };

  function documented(operationId: string): OperationObject {
    const operation = operations.get(operationId);
    if (!operation) throw new ContractViolation(`${operationId} is not an operation of the spec`);
    return operation;
  }

  /** Throws a ContractViolation describing every way `response` departs from the spec. */
  function check(operationId: string, response: ObservedResponse): void {
    const operation = documented(operationId);
    const raw = operation.responses[String(response.status)];
    if (!raw) {
      throw new ContractViolation(
        `${operationId} answered ${response.status}, which the spec does not document (documented: ${Object.keys(operation.responses).join(', ')}). Body: ${response.text.slice(0, 300)}`,
      );
    }
    const spec = dereference(document, raw) as DocumentedResponse;
    const problems: string[] = [];

    for (const [name, header] of Object.entries(spec.headers ?? {})) {
      const value = response.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`missing required header ${name}`);
        continue;
      }
      if (header.schema) {
        const validate = schemaValidator(`${operationId}:${response.status}:header:${name}`, header.schema);
        const typed = (header.schema as { type?: string }).type === 'integer' ? Number(value) : value;
        if (!validate(typed)) problems.push(`header ${name}: ${ajv.errorsText(validate.errors)}`);
      }
    }

    const mediaTypes = Object.keys(spec.content ?? {});
    if (mediaTypes.length === 0) {
      if (response.text !== '') problems.push(`expected no body, got ${response.text.slice(0, 100)}`);
    } else {
      const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
      const media = spec.content?.[contentType];
      if (!media) {
        problems.push(`Content-Type "${contentType}" is not one of ${mediaTypes.join(', ')}`);
      } else {
        let body: unknown;
        try {
          body = JSON.parse(response.text);
        } catch {
          problems.push(`body is not JSON: ${response.text.slice(0, 100)}`);
        }
        if (body !== undefined && media.schema) {
          const validate = schemaValidator(`${operationId}:${response.status}:${contentType}`, media.schema);
          if (!validate(body)) problems.push(`body: ${ajv.errorsText(validate.errors)}`);
        }
      }
    }
    if (problems.length > 0) {
      throw new ContractViolation(`${operationId} ${response.status}: ${problems.join('; ')}`);
    }
    seen.add(`${operationId} ${response.status}`);
  }

  /** Every documented (operationId, status) pair that no checked response has shown yet. */
  function unexercised(): string[] {
    return [...operations].flatMap(([operationId, operation]) =>
      Object.keys(operation.responses)
        .map((status) => `${operationId} ${status}`)
        .filter((pair) => !seen.has(pair)),
    );
  }

  return { document, operations, check, unexercised };
}

export type Contract = ReturnType<typeof createContract>;
