/**
 * Reading the bundled spec: its operations, the JSON Schemas that validate their requests, the
 * CORS headers it implies, and the API Gateway definition derived from it. Used by
 * scripts/generate.ts and by the tests that check the generated output against the spec.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * The OpenAPI 3.0 schema keywords this spec uses, on a dereferenced schema: what the test and
 * request builders read. Enums hold strings (the house style has no other).
 */
export interface SchemaObject {
  type?: string;
  enum?: string[];
  default?: unknown;
  example?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  readOnly?: boolean;
  items?: SchemaObject;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, SchemaObject>;
  additionalProperties?: boolean | SchemaObject;
  required?: string[];
  minProperties?: number;
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
  style?: string;
  explode?: boolean;
}

/**
 * How an array parameter's items arrive on the wire: `repeated` (`?label=a&label=b`, a query
 * parameter's default, style form with explode) or `comma` (`a,b`: a query parameter with
 * `explode: false`, or a path or header parameter, style simple). Undefined for a parameter that is
 * not an array. The runtime reads exactly these two (generated/operations.ts tells it which); any
 * other style is refused when the spec is generated rather than misread at run time.
 */
export function arrayEncoding(
  parameter: ParameterObject,
  schema: { type?: unknown },
): 'repeated' | 'comma' | undefined {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (!types.includes('array')) return undefined;
  const style = parameter.style ?? (parameter.in === 'query' ? 'form' : 'simple');
  const explode = parameter.explode ?? style === 'form';
  if (parameter.in === 'query' && style === 'form') return explode ? 'repeated' : 'comma';
  // Style simple writes an array `a,b` with or without explode (explode changes only objects).
  if ((parameter.in === 'path' || parameter.in === 'header') && style === 'simple') return 'comma';
  throw new Error(
    `parameter ${parameter.name} (${parameter.in}) is an array with style ${style}${explode ? ', explode' : ''}: the runtime reads a query array as style form (repeated, or comma-separated with explode: false) and a path or header array as style simple`,
  );
}

export interface OperationObject {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<ParameterObject | { $ref: string }>;
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonObject }> } | { $ref: string };
  responses: Record<string, JsonObject>;
  [key: string]: unknown;
}

export type PathItemObject = { parameters?: Array<ParameterObject | { $ref: string }> } & {
  [method: string]: unknown;
};

export interface OpenApiDocument {
  openapi: string;
  security?: Array<Record<string, string[]>>;
  paths: Record<string, PathItemObject>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export const httpMethods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

export interface ListedOperation {
  operationId: string;
  method: string;
  path: string;
  operation: OperationObject;
  pathItem: PathItemObject;
}

/** Every operation of the document, in spec order. */
export function listOperations(document: OpenApiDocument): ListedOperation[] {
  return Object.entries(document.paths).flatMap(([route, pathItem]) =>
    httpMethods
      .filter((method) => pathItem[method] !== undefined)
      .map((method) => {
        const operation = pathItem[method] as OperationObject;
        return { operationId: operation.operationId, method, path: route, operation, pathItem };
      }),
  );
}

/** Follows a local `#/...` reference. */
export function resolvePointer(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`Only local references are supported: ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => {
      if (node === null || typeof node !== 'object' || !(token in node)) {
        throw new Error(`Unresolvable reference ${ref}`);
      }
      return (node as Record<string, unknown>)[token];
    }, document);
}

/** Replaces every `$ref` (except those `keep` accepts) with a copy of its target. */
export function dereference<T>(document: OpenApiDocument, node: T, keep: (ref: string) => boolean = () => false): T {
  if (Array.isArray(node)) return node.map((item) => dereference(document, item, keep)) as T;
  if (node === null || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  if (typeof record.$ref === 'string' && !keep(record.$ref)) {
    return dereference(document, resolvePointer(document, record.$ref) as T, keep);
  }
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [key, dereference(document, value, keep)]),
  ) as T;
}

/** Keywords that document a schema but are not JSON Schema draft 4 (API Gateway) or Ajv vocabulary. */
const annotationKeywords = new Set([
  'example',
  'examples',
  'xml',
  'externalDocs',
  'deprecated',
  'readOnly',
  'writeOnly',
]);

/** OpenAPI 3.0 schema → JSON Schema: `nullable: true` becomes a `null` type, annotations are dropped. */
export function toJsonSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    // Prose too: Ajv's standalone code keeps the schema objects it reads enums from, and the
    // descriptions would ride along into the Lambda bundle.
    if (annotationKeywords.has(key) || key === 'nullable' || key === 'description' || key === 'title') continue;
    const isSchemaMap = key === 'properties';
    result[key] = isSchemaMap
      ? Object.fromEntries(Object.entries(value as JsonObject).map(([name, sub]) => [name, toJsonSchema(sub)]))
      : typeof value === 'object' && value !== null && key !== 'enum' && key !== 'default'
        ? toJsonSchema(value)
        : value;
  }
  if (schema.nullable === true) {
    if (typeof result.type === 'string') result.type = [result.type, 'null'];
    if (Array.isArray(result.enum)) result.enum = [...result.enum, null];
  }
  return result;
}

/** The parameters that apply to an operation: path-level ones, overridden by operation-level ones. */
export function operationParameters(
  document: OpenApiDocument,
  pathItem: PathItemObject,
  operation: OperationObject,
): ParameterObject[] {
  const merged = new Map<string, ParameterObject>();
  for (const parameter of [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])]) {
    const resolved = dereference(document, parameter) as ParameterObject;
    merged.set(`${resolved.in}:${resolved.name}`, resolved);
  }
  return [...merged.values()];
}

/**
 * The JSON Schemas that validate one operation's request: `params` covers `{ path, query, headers }`
 * (header names as documented; the runtime looks them up case-insensitively); `body` is the JSON body's schema, if any.
 * Request bodies reject unknown fields (the spec sets `additionalProperties: false`).
 */
export function requestSchemas(
  document: OpenApiDocument,
  pathItem: PathItemObject,
  operation: OperationObject,
): { params: JsonObject; body: JsonObject | undefined } {
  const group = (location: ParameterObject['in']): JsonObject => {
    const parameters = operationParameters(document, pathItem, operation).filter((p) => p.in === location);
    const key = (p: ParameterObject) => p.name;
    return {
      type: 'object',
      properties: Object.fromEntries(
        parameters.map((p) => [key(p), toJsonSchema(dereference(document, p.schema ?? {}))]),
      ),
      required: parameters.filter((p) => p.required).map(key),
    };
  };
  const params: JsonObject = {
    type: 'object',
    properties: { path: group('path'), query: group('query'), headers: group('header') },
    required: ['path', 'query', 'headers'],
  };
  const requestBody = operation.requestBody && dereference(document, operation.requestBody);
  const bodySchema =
    requestBody && 'content' in requestBody ? requestBody.content['application/json']?.schema : undefined;
  return { params, body: bodySchema ? (toJsonSchema(dereference(document, bodySchema)) as JsonObject) : undefined };
}

/** CORS headers implied by the spec: every request header it documents may be sent, every response header read. */
export function corsHeaders(document: OpenApiDocument): Record<string, string> {
  const operations = listOperations(document);
  // traceparent and tracestate: W3C trace context, which browser tracing (OpenTelemetry web) adds.
  const requestHeaders = new Set(['Authorization', 'Content-Type', 'traceparent', 'tracestate']);
  const responseHeaders = new Set<string>();
  for (const { operation, pathItem } of operations) {
    for (const parameter of operationParameters(document, pathItem, operation)) {
      if (parameter.in === 'header') requestHeaders.add(parameter.name);
    }
    for (const response of Object.values(operation.responses)) {
      const resolved = dereference(document, response) as { headers?: Record<string, unknown> };
      for (const name of Object.keys(resolved.headers ?? {})) responseHeaders.add(name);
    }
  }
  return {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': [...requestHeaders].join(','),
    'Access-Control-Expose-Headers': [...responseHeaders].sort().join(','),
  };
}

/** How long a browser may reuse a preflight answer (Chromium caps it at 7200 s; Firefox at 86400 s). */
export const corsMaxAgeSeconds = 7200;

/** The methods a preflight on a path the spec does not know allows, so the browser goes on to read the real 404. */
const anyMethod = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** The methods a documented path answers, as `Allow` lists them: the spec's, then OPTIONS (the preflight). */
export function allowedMethods(methods: readonly string[]): string {
  return [...methods.map((method) => method.toUpperCase()), 'OPTIONS'].join(', ');
}

/** Placeholders in generated/apigateway.json that the CDK stack replaces at synth time. */
export const gatewayPlaceholders = {
  functionArn: '${ApiFunctionArn}',
  userPoolArn: '${UserPoolArn}',
  partition: '${AWS::Partition}',
  region: '${AWS::Region}',
} as const;

const problemTemplate = (status: number, title: string, detail: string) =>
  JSON.stringify({ type: 'about:blank', title, status, detail });

/**
 * The API Gateway definition: the spec with a Lambda proxy integration on every operation, the
 * Cognito user-pool authorizer, CORS preflight on every path, gateway responses that carry CORS
 * headers, and schemas reduced to what API Gateway models accept.
 */
export function buildGatewayDefinition(document: OpenApiDocument, note: string): JsonObject {
  const cors = corsHeaders(document);
  const corsParameters = (prefix: string) =>
    Object.fromEntries(Object.entries(cors).map(([name, value]) => [`${prefix}.header.${name}`, `'${value}'`]));
  const keepSchemaRefs = (ref: string) => ref.startsWith('#/components/schemas/');
  const schemes = Object.keys(document.components?.securitySchemes ?? {});

  const lambdaIntegration = (): JsonObject => ({
    type: 'aws_proxy',
    httpMethod: 'POST',
    uri: `arn:${gatewayPlaceholders.partition}:apigateway:${gatewayPlaceholders.region}:lambda:path/2015-03-31/functions/${gatewayPlaceholders.functionArn}/invocations`,
    passthroughBehavior: 'when_no_match',
    timeoutInMillis: 29000,
  });
  const preflight = (operationId: string, parameters: JsonObject[], methods: string): JsonObject => ({
    summary: 'CORS preflight',
    operationId,
    security: [],
    parameters,
    responses: {
      '204': {
        description: 'CORS preflight answer.',
        headers: Object.fromEntries(
          [...Object.keys(cors), 'Access-Control-Allow-Methods', 'Access-Control-Max-Age'].map((name) => [
            name,
            { schema: { type: 'string' } },
          ]),
        ),
      },
    },
    'x-amazon-apigateway-integration': {
      type: 'mock',
      requestTemplates: { 'application/json': '{"statusCode": 204}' },
      passthroughBehavior: 'when_no_match',
      responses: {
        default: {
          statusCode: '204',
          responseParameters: {
            ...corsParameters('method.response'),
            'method.response.header.Access-Control-Allow-Methods': `'${methods}'`,
            'method.response.header.Access-Control-Max-Age': `'${corsMaxAgeSeconds}'`,
          },
        },
      },
    },
  });

  const paths: JsonObject = {};
  for (const [route, pathItem] of Object.entries(document.paths)) {
    const item: JsonObject = {};
    const methods = httpMethods.filter((method) => pathItem[method] !== undefined);
    for (const method of methods) {
      const operation = pathItem[method] as OperationObject;
      const { parameters: _ignored, ...rest } = dereference(document, operation, keepSchemaRefs);
      item[method] = stripForGateway({
        ...rest,
        parameters: operationParameters(document, pathItem, operation) as unknown as Json,
        security: (operation.security ?? document.security ?? []) as unknown as Json,
        'x-amazon-apigateway-integration': lambdaIntegration(),
      } as JsonObject);
    }
    const pathParameters = operationParameters(document, pathItem, { operationId: '', responses: {} })
      .filter((p) => p.in === 'path')
      .map((p) => stripForGateway(p as unknown as JsonObject));
    // Any other method reaches the function, which answers 405 with Allow (API Gateway prefers a
    // resource's specific methods over ANY, so the documented ones are unaffected).
    item['x-amazon-apigateway-any-method'] = {
      summary: 'Any undocumented method: 405 with Allow',
      operationId: `methodNotAllowed${pascalCase(route)}`,
      security: [],
      parameters: pathParameters,
      responses: {
        '405': { description: 'Method Not Allowed.', headers: { Allow: { schema: { type: 'string' } } } },
      },
      'x-amazon-apigateway-integration': lambdaIntegration(),
    };
    item.options = preflight(
      `preflight${pascalCase(route)}`,
      pathParameters,
      allowedMethods(methods).replaceAll(' ', ''),
    );
    paths[route] = item;
  }
  // A preflight on a path the spec does not know is answered too, so the browser sends the request
  // and shows its real 404 instead of an opaque CORS error. Only OPTIONS: other methods stay 404.
  paths['/{proxy+}'] = {
    options: preflight(
      'preflightUnknownPath',
      [{ name: 'proxy', in: 'path', required: true, schema: { type: 'string' } }],
      anyMethod.join(','),
    ),
  };

  const gatewayResponse = (statusCode: string | undefined, template?: string, contentType?: string): JsonObject => ({
    ...(statusCode ? { statusCode } : {}),
    responseParameters: {
      ...corsParameters('gatewayresponse'),
      ...(contentType ? { 'gatewayresponse.header.Content-Type': `'${contentType}'` } : {}),
    },
    ...(template ? { responseTemplates: { 'application/json': template } } : {}),
  });

  return {
    'x-generated': note,
    openapi: document.openapi as string,
    info: document.info as JsonObject,
    tags: (document.tags ?? []) as Json,
    security: (document.security ?? []) as unknown as Json,
    paths,
    components: {
      schemas: stripForGateway((document.components?.schemas ?? {}) as JsonObject),
      securitySchemes: Object.fromEntries(
        schemes.map((name) => [
          name,
          {
            type: 'apiKey',
            name: 'Authorization',
            in: 'header',
            'x-amazon-apigateway-authtype': 'cognito_user_pools',
            'x-amazon-apigateway-authorizer': {
              type: 'cognito_user_pools',
              providerARNs: [gatewayPlaceholders.userPoolArn],
            },
          },
        ]),
      ),
    },
    'x-amazon-apigateway-gateway-responses': {
      UNAUTHORIZED: gatewayResponse('401', '{"message":$context.error.messageString}', 'application/json'),
      MISSING_AUTHENTICATION_TOKEN: gatewayResponse(
        '404',
        problemTemplate(404, 'Not Found', 'No operation matches this method and path.'),
        'application/problem+json',
      ),
      THROTTLED: {
        ...gatewayResponse(
          '429',
          problemTemplate(429, 'Too Many Requests', 'Slow down and retry after the number of seconds in Retry-After.'),
          'application/problem+json',
        ),
        responseParameters: {
          ...corsParameters('gatewayresponse'),
          'gatewayresponse.header.Content-Type': "'application/problem+json'",
          'gatewayresponse.header.Retry-After': "'1'",
        },
      },
      REQUEST_TOO_LARGE: gatewayResponse(
        '413',
        problemTemplate(413, 'Content Too Large', 'The request is larger than API Gateway accepts.'),
        'application/problem+json',
      ),
      DEFAULT_4XX: gatewayResponse(undefined),
      DEFAULT_5XX: gatewayResponse(undefined),
    },
  };
}

/** `/tasks/{taskId}` → `TasksTaskId`, for operationIds derived from a path. */
const pascalCase = (route: string) =>
  route.replace(/[^A-Za-z0-9]+(.)?/g, (_match, next: string | undefined) => (next ?? '').toUpperCase());

/** Drops what API Gateway's importer rejects or ignores: examples, `nullable` and other annotations. */
function stripForGateway(node: JsonObject): JsonObject {
  const walk = (value: Json, parentKey: string | undefined): Json => {
    if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
    if (value === null || typeof value !== 'object') return value;
    const isNameMap =
      parentKey === 'properties' ||
      parentKey === 'schemas' ||
      parentKey === 'headers' ||
      parentKey === 'content' ||
      parentKey === 'responses';
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => isNameMap || !(annotationKeywords.has(key) || key === 'nullable'))
        .map(([key, child]) => [key, walk(child, isNameMap ? undefined : key)]),
    );
  };
  return walk(node, undefined) as JsonObject;
}
