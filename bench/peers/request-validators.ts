/**
 * Build step of the peers that take precompiled JSON Schema validators (middy, Powertools): the
 * request schemas of the spec's getTask, listTasks and createTask (generated/openapi.json, through
 * the same `requestSchemas` the generator uses), compiled once at build time into one standalone
 * ESM module — as middy's validator documentation recommends over transpiling at cold start. Each
 * operation gets its middy event schema (`<op>Event`, middy's Ajv defaults: coercion, defaults,
 * all errors) and the parts Powertools validates separately (`<op>Path`, `<op>Query`, `<op>Body`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ValidateFunction } from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import addFormatsModule from 'ajv-formats';
import { type JsonObject, listOperations, type OpenApiDocument, requestSchemas } from '../../scripts/lib/openapi.ts';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const standaloneCode = standaloneModule.default;

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The operations every peer implements. */
export const peerOperations = ['getTask', 'listTasks', 'createTask'] as const;
type PeerOperation = (typeof peerOperations)[number];

/** The parts a peer validates: middy the whole event, Powertools the path, the query and the body. */
export type ValidatedPart = 'Event' | 'Path' | 'Query' | 'Body';

/** What the generated module exports, per operation: `<op><part>` for each part the peer asked for. */
export type RequestValidators<Part extends ValidatedPart = ValidatedPart> = Record<
  `${PeerOperation}${Part}`,
  ValidateFunction
>;

const anything: JsonObject = {};

/**
 * The module's source for a peer that validates `parts`: ESM, importing only Ajv's runtime helpers
 * and ajv-formats (bundled by esbuild). Only those parts, so no peer's bundle carries another's schemas.
 */
export function requestValidatorsModule(validated: readonly ValidatedPart[]): string {
  const document = JSON.parse(
    readFileSync(path.join(projectRoot, 'generated', 'openapi.json'), 'utf8'),
  ) as OpenApiDocument;
  const ajv = new Ajv({
    code: { source: true, esm: true },
    strict: true,
    coerceTypes: 'array',
    allErrors: true,
    useDefaults: 'empty',
    allowUnionTypes: true,
  });
  addFormats(ajv, ['uuid', 'date', 'date-time', 'email']);
  const exports: Record<string, string> = {};
  for (const { operationId, operation, pathItem } of listOperations(document)) {
    if (!(peerOperations as readonly string[]).includes(operationId)) continue;
    const { params, body } = requestSchemas(document, pathItem, operation);
    const parts = params.properties as Record<'path' | 'query', JsonObject>;
    const schemas: Record<ValidatedPart, JsonObject> = {
      Event: {
        type: 'object',
        properties: {
          // API Gateway sends null, not {}, when there are none.
          pathParameters: { ...parts.path, type: ['object', 'null'] },
          queryStringParameters: { ...parts.query, type: ['object', 'null'] },
          ...(body ? { body } : {}),
        },
        required: body ? ['body'] : [],
      },
      Path: parts.path,
      Query: parts.query,
      Body: body ?? anything,
    };
    for (const suffix of validated) {
      const schema = schemas[suffix];
      // A copy each: Ajv's standalone output declares a shared sub-schema object twice.
      ajv.addSchema(structuredClone(schema), `${operationId}${suffix}`);
      exports[`${operationId}${suffix}`] = `${operationId}${suffix}`;
    }
  }
  return standaloneCode(ajv, exports);
}
