/**
 * The generated API Gateway definition (generated/apigateway.json) as the stack consumes it: read at
 * synth time, its placeholders swapped for real values, and the Lambda-integrated operations listed
 * so that each one gets its own invoke permission. Pure functions; no CDK constructs here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayPlaceholders as placeholders } from '../generated/apigateway-placeholders.ts';
import { docsScriptNames } from './docs-page.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The repository root, for paths that must not depend on the working directory. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where `npm run generate` writes the definition. */
export const generatedDefinitionPath = path.join(projectRoot, 'generated', 'apigateway.json');

/** The placeholders the generator writes into the definition, by what replaces them. */
export { placeholders };

export type PlaceholderValues = Record<keyof typeof placeholders, string>;

const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'x-amazon-apigateway-any-method'];

/** The docs the stack publishes: the bundled spec, and the page (`npm run docs`) with its scripts. */
export interface PublishedDocs {
  spec: JsonObject;
  html: string;
  /** The scripts the page references under /docs/, by file name. */
  scripts: Record<string, string>;
}

/** Reads the bundled spec, docs/index.html and the scripts it references (docs/*.js). */
export function loadDocs(): PublishedDocs {
  const dir = path.join(projectRoot, 'docs');
  const page = path.join(dir, 'index.html');
  if (!existsSync(page))
    throw new Error('docs/index.html is missing: run `npm run docs` before synth (npm run synth does).');
  const html = readFileSync(page, 'utf8');
  const scripts: Record<string, string> = {};
  for (const name of docsScriptNames(html)) {
    if (!existsSync(path.join(dir, name)))
      throw new Error(`docs/${name}, which docs/index.html loads, is missing: run \`npm run docs\`.`);
    scripts[name] = readFileSync(path.join(dir, name), 'utf8');
  }
  return {
    spec: JSON.parse(readFileSync(path.join(projectRoot, 'generated', 'openapi.json'), 'utf8')) as JsonObject,
    html,
    scripts,
  };
}

/** Reads a definition file (by default generated/apigateway.json). */
export function loadApiDefinition(file: string = generatedDefinitionPath): JsonObject {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as JsonValue;
  if (!isObject(parsed) || !isObject(parsed.paths)) throw new Error(`${file} is not an OpenAPI document with paths`);
  return parsed;
}

/** A deep copy of `definition` with every placeholder, in every string, replaced by its value. */
export function substitutePlaceholders(definition: JsonObject, values: PlaceholderValues): JsonObject {
  const pairs = (Object.keys(placeholders) as (keyof typeof placeholders)[]).map(
    (key) => [placeholders[key], values[key]] as const,
  );
  const visit = (value: JsonValue): JsonValue => {
    if (typeof value === 'string') return pairs.reduce((text, [from, to]) => text.split(from).join(to), value);
    if (Array.isArray(value)) return value.map(visit);
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item)]));
    return value;
  };
  return visit(definition) as JsonObject;
}

/** One method the definition integrates with the API function. */
export interface LambdaOperation {
  operationId: string;
  /** Upper case, or `*` for `x-amazon-apigateway-any-method`. */
  method: string;
  /** The OpenAPI path, e.g. `/tasks/{taskId}`. */
  path: string;
  /** The path as it appears in an execute-api ARN: every path parameter becomes `*`. */
  arnPath: string;
}

/** Every operation whose integration invokes the API function (the `${ApiFunctionArn}` placeholder). */
export function lambdaOperations(definition: JsonObject): LambdaOperation[] {
  const operations: LambdaOperation[] = [];
  const paths = isObject(definition.paths) ? definition.paths : {};
  for (const [route, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [key, operation] of Object.entries(item)) {
      if (!httpMethods.includes(key) || !isObject(operation)) continue;
      const integration = operation['x-amazon-apigateway-integration'];
      if (!isObject(integration) || typeof integration.uri !== 'string') continue;
      if (!integration.uri.includes(placeholders.functionArn)) continue;
      const method = key === 'x-amazon-apigateway-any-method' ? '*' : key.toUpperCase();
      operations.push({
        operationId: typeof operation.operationId === 'string' ? operation.operationId : `${method} ${route}`,
        method,
        path: route,
        arnPath: route.replace(/\{[^}]+\}/g, '*'),
      });
    }
  }
  return operations;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const allowOriginKey = /^(method\.response|gatewayresponse)\.header\.Access-Control-Allow-Origin$/;

/**
 * The definition with its CORS origin set for `origins` (the `corsAllowedOrigins` flag). The generated
 * definition allows `*`, which stays as is. One origin replaces `*` everywhere. Several cannot be a
 * static header, so: the function echoes a listed `Origin` itself (CORS_ALLOWED_ORIGINS); each
 * preflight mock echoes it from a mapping template (`$context.responseOverride`) when it is listed;
 * and the gateway responses (401, 404, 413, 429, 4XX/5XX) echo the request's `Origin` whatever it is —
 * they carry no data, only an error a page must be able to read.
 */
export function withCorsOrigins(definition: JsonObject, origins: readonly string[]): JsonObject {
  if (origins.includes('*')) return definition;
  const single = origins.length === 1 ? `'${origins[0]}'` : undefined;
  const echoListed = [
    "#set($origin = $input.params().header.get('Origin'))",
    '#if("$!origin" == "")#set($origin = $input.params().header.get(\'origin\'))#end',
    `#if([${origins.map((origin) => `"${origin}"`).join(', ')}].contains($origin))`,
    '#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    '#end',
  ].join('\n');
  const visit = (value: JsonValue, key: string | undefined): JsonValue => {
    if (Array.isArray(value)) return value.map((item) => visit(item, undefined));
    if (!isObject(value)) return value;
    const copy = Object.fromEntries(Object.entries(value).map(([name, item]) => [name, visit(item, name)]));
    if (key === 'responseParameters') {
      for (const name of Object.keys(copy).filter((name) => allowOriginKey.test(name))) {
        const gatewayResponse = name.startsWith('gatewayresponse.');
        if (single) copy[name] = single;
        else if (gatewayResponse) copy[name] = 'method.request.header.Origin';
        else delete copy[name];
        copy[name.replace('Access-Control-Allow-Origin', 'Vary')] = "'Origin'";
      }
    }
    // A preflight mock's answer (its method response declares the headers it may carry).
    if (isObject(copy.responses) && isObject(copy.responses.default) && copy.type === 'mock' && !single) {
      copy.responses = {
        ...copy.responses,
        default: { ...copy.responses.default, responseTemplates: { 'application/json': echoListed } },
      };
    }
    if (key === '204' && isObject(copy.headers) && 'Access-Control-Allow-Origin' in copy.headers) {
      copy.headers = { ...copy.headers, Vary: { schema: { type: 'string' } } };
    }
    return copy;
  };
  return visit(definition, undefined) as JsonObject;
}
