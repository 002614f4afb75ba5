import { describe, expect, it } from 'vitest';
import {
  type JsonObject,
  lambdaOperations,
  loadApiDefinition,
  placeholders,
  substitutePlaceholders,
} from '../../infra/api-definition.ts';
import { permissionSuffix, specOperations } from './support/spec.ts';

const values = { functionArn: 'FN', userPoolArn: 'POOL', partition: 'aws', region: 'eu-west-1' };

describe('substitutePlaceholders', () => {
  it('replaces every placeholder in every string, at any depth, and leaves the input untouched', () => {
    const definition: JsonObject = {
      uri: `arn:${placeholders.partition}:apigateway:${placeholders.region}:lambda:path/functions/${placeholders.functionArn}/invocations`,
      nested: [{ providerARNs: [placeholders.userPoolArn] }, 42, true, null],
    };

    const result = substitutePlaceholders(definition, values);

    expect(result).toEqual({
      uri: 'arn:aws:apigateway:eu-west-1:lambda:path/functions/FN/invocations',
      nested: [{ providerARNs: ['POOL'] }, 42, true, null],
    });
    expect(definition.nested).toEqual([{ providerARNs: [placeholders.userPoolArn] }, 42, true, null]);
  });

  it('leaves no placeholder in the generated definition', () => {
    const result = JSON.stringify(substitutePlaceholders(loadApiDefinition(), values));

    for (const placeholder of Object.values(placeholders)) expect(result).not.toContain(placeholder);
  });
});

describe('lambdaOperations', () => {
  it('lists exactly the spec’s operations and one ANY method (405) per documented path, not the CORS preflight mocks', () => {
    const operations = lambdaOperations(loadApiDefinition());
    const documentedPaths = [...new Set(specOperations().map((operation) => operation.path))];

    expect(
      operations
        .filter((operation) => operation.method !== '*')
        .map((operation) => operation.operationId)
        .sort(),
    ).toEqual(
      specOperations()
        .map((operation) => operation.operationId)
        .sort(),
    );
    expect(
      operations
        .filter((operation) => operation.method === '*')
        .map((operation) => operation.path)
        .sort(),
    ).toEqual(documentedPaths.sort());
  });

  it('turns path parameters into wildcards for the execute-api ARN', () => {
    const operations = lambdaOperations(loadApiDefinition());

    for (const operation of operations) {
      expect(`/*/${operation.method}${operation.arnPath}`).toBe(permissionSuffix(operation));
    }
  });

  it('maps x-amazon-apigateway-any-method to every method', () => {
    const definition: JsonObject = {
      paths: {
        '/{proxy+}': {
          'x-amazon-apigateway-any-method': {
            operationId: 'proxy',
            'x-amazon-apigateway-integration': { uri: `.../${placeholders.functionArn}/invocations` },
          },
        },
      },
    };

    expect(lambdaOperations(definition)).toEqual([
      { operationId: 'proxy', method: '*', path: '/{proxy+}', arnPath: '/*' },
    ]);
  });
});
