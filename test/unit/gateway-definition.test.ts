import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildGatewayDefinition,
  type Json,
  type JsonObject,
  listOperations,
  type OpenApiDocument,
} from '../../scripts/lib/openapi.ts';

const generatedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'generated');
const readJson = (file: string) => JSON.parse(readFileSync(path.join(generatedDir, file), 'utf8'));

const spec = readJson('openapi.json') as OpenApiDocument;
const note = spec['x-generated'] as string;

interface GatewayOperation {
  security: Array<Record<string, string[]>>;
  'x-amazon-apigateway-integration': Record<string, unknown> & {
    responses?: { default: { responseParameters: Record<string, string> } };
  };
}

const operationIn = (definition: JsonObject, route: string, method: string) =>
  ((definition.paths as JsonObject)[route] as JsonObject)[method] as unknown as GatewayOperation;

/** Every JSON Schema keyword that appears in a schema of `node` (property names are not keywords). */
function schemaKeywords(node: Json, inSchema = false, keywords = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) schemaKeywords(item, inSchema, keywords);
    return keywords;
  }
  if (node === null || typeof node !== 'object') return keywords;
  for (const [key, child] of Object.entries(node)) {
    if (inSchema) keywords.add(key);
    if (key === 'properties' || (key === 'schemas' && !inSchema)) {
      for (const property of Object.values(child as JsonObject)) schemaKeywords(property, true, keywords);
    } else {
      schemaKeywords(child, inSchema || key === 'schema', keywords);
    }
  }
  return keywords;
}

describe('buildGatewayDefinition', () => {
  it('when built from the bundled spec, gives every operation a Lambda proxy integration on the function placeholder', () => {
    // Arrange
    const operations = listOperations(spec);

    // Act
    const definition = buildGatewayDefinition(spec, note);

    // Assert
    expect(operations.length).toBeGreaterThanOrEqual(12);
    for (const { operationId, method, path: route } of operations) {
      const integration = operationIn(definition, route, method)['x-amazon-apigateway-integration'];
      expect(integration, operationId).toMatchObject({ type: 'aws_proxy', httpMethod: 'POST' });
      expect(integration.uri, operationId).toContain('${ApiFunctionArn}');
    }
  });

  it('when built, keeps the Cognito ID-token security on protected operations and none on getHealth', () => {
    // Arrange
    const operations = listOperations(spec);

    // Act
    const definition = buildGatewayDefinition(spec, note);

    // Assert
    for (const { operationId, method, path: route } of operations) {
      const { security } = operationIn(definition, route, method);
      expect(security, operationId).toEqual(operationId === 'getHealth' ? [] : [{ CognitoIdToken: [] }]);
    }
    expect(definition.components).toMatchObject({
      securitySchemes: {
        CognitoIdToken: {
          'x-amazon-apigateway-authtype': 'cognito_user_pools',
          'x-amazon-apigateway-authorizer': { type: 'cognito_user_pools', providerARNs: ['${UserPoolArn}'] },
        },
      },
    });
  });

  it('when built, answers CORS preflight on every path with a mock that allows the path’s methods', () => {
    // Arrange
    const routes = Object.keys(spec.paths);

    // Act
    const definition = buildGatewayDefinition(spec, note);

    // Assert
    for (const route of routes) {
      const preflight = operationIn(definition, route, 'options');
      const integration = preflight['x-amazon-apigateway-integration'];
      expect(preflight.security, route).toEqual([]);
      expect(integration.type, route).toBe('mock');
      const allowed = integration.responses?.default.responseParameters[
        'method.response.header.Access-Control-Allow-Methods'
      ]
        ?.replaceAll("'", '')
        .split(',');
      const documented = listOperations(spec)
        .filter((operation) => operation.path === route)
        .map((operation) => operation.method.toUpperCase());
      expect(allowed?.sort(), route).toEqual([...documented, 'OPTIONS'].sort());
    }
  });

  it('when built, sends any undocumented method on a documented path to the function, unauthenticated, for its 405', () => {
    // Arrange
    const routes = Object.keys(spec.paths);

    // Act
    const definition = buildGatewayDefinition(spec, note);

    // Assert
    for (const route of routes) {
      const any = operationIn(definition, route, 'x-amazon-apigateway-any-method');
      expect(any, route).toBeDefined();
      expect(any.security, route).toEqual([]);
      expect(any['x-amazon-apigateway-integration'], route).toMatchObject({ type: 'aws_proxy', httpMethod: 'POST' });
      expect(any['x-amazon-apigateway-integration'].uri, route).toContain('${ApiFunctionArn}');
    }
  });

  it('when built, answers a preflight on any path the spec does not know, and only the preflight', () => {
    // Arrange
    const routes = Object.keys(spec.paths);

    // Act
    const definition = buildGatewayDefinition(spec, note);

    // Assert
    expect(routes).not.toContain('/{proxy+}');
    const unknown = (definition.paths as JsonObject)['/{proxy+}'] as JsonObject;
    expect(Object.keys(unknown)).toEqual(['options']);
    const integration = operationIn(definition, '/{proxy+}', 'options')['x-amazon-apigateway-integration'];
    expect(integration.type).toBe('mock');
    expect(integration.responses?.default.responseParameters).toMatchObject({
      'method.response.header.Access-Control-Allow-Origin': "'*'",
      'method.response.header.Access-Control-Allow-Methods': expect.stringContaining('DELETE'),
    });
  });

  it('when built, lets preflights be cached for two hours and allows the W3C trace-context headers', () => {
    // Arrange
    const routes = [...Object.keys(spec.paths), '/{proxy+}'];

    // Act
    const definition = buildGatewayDefinition(spec, note);

    // Assert
    for (const route of routes) {
      const parameters = operationIn(definition, route, 'options')['x-amazon-apigateway-integration'].responses?.default
        .responseParameters;
      expect(parameters?.['method.response.header.Access-Control-Max-Age'], route).toBe("'7200'");
      const allowed = parameters?.['method.response.header.Access-Control-Allow-Headers'] ?? '';
      expect(allowed.replaceAll("'", '').split(','), route).toEqual(
        expect.arrayContaining(['traceparent', 'tracestate']),
      );
    }
  });

  it('when built, no schema carries a keyword the API Gateway importer rejects', () => {
    // Arrange
    const rejected = ['nullable', 'example', 'oneOf', 'discriminator'];
    const sourceKeywords = schemaKeywords(spec as unknown as Json);

    // Act
    const definition = buildGatewayDefinition(spec, note);

    // Assert
    expect(sourceKeywords.has('nullable')).toBe(true);
    const gatewayKeywords = schemaKeywords(definition);
    expect(gatewayKeywords.has('type')).toBe(true);
    for (const keyword of rejected) expect(gatewayKeywords.has(keyword), keyword).toBe(false);
  });

  it('when compared with generated/apigateway.json on disk, is identical (the generated file is fresh)', () => {
    // Arrange
    const onDisk = readJson('apigateway.json');

    // Act
    const definition = buildGatewayDefinition(spec, note);

    // Assert
    expect(onDisk).toEqual(definition);
  });
});
