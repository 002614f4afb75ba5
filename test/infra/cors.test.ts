/**
 * CORS origins as the stack configures them (`-c corsAllowedOrigins=…`): the generated definition's
 * static `*` becomes one origin, or — for several — a preflight that echoes a listed Origin, gateway
 * responses that echo the request's Origin, and the function's CORS_ALLOWED_ORIGINS.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type JsonObject, loadApiDefinition, withCorsOrigins } from '../../infra/api-definition.ts';
import { resourcesOfType, type Synthesized, synthesizeTaskboard } from './support/synthesize.ts';

type Parameters = Record<string, string>;
interface Mock {
  responses: { default: { responseParameters: Parameters; responseTemplates?: Record<string, string> } };
}

const preflightOf = (definition: JsonObject, route: string) =>
  ((definition.paths as JsonObject)[route] as JsonObject).options as unknown as {
    responses: { '204': { headers: Record<string, unknown> } };
    'x-amazon-apigateway-integration': Mock;
  };
const gatewayResponses = (definition: JsonObject) =>
  definition['x-amazon-apigateway-gateway-responses'] as unknown as Record<string, { responseParameters: Parameters }>;

describe('withCorsOrigins', () => {
  it('with *, leaves the generated definition as it is', () => {
    const definition = loadApiDefinition();

    expect(withCorsOrigins(definition, ['*'])).toEqual(definition);
  });

  it('with one origin, puts it in every preflight and gateway response instead of *', () => {
    const definition = withCorsOrigins(loadApiDefinition(), ['https://app.example.com']);

    const text = JSON.stringify(definition);
    expect(text).not.toContain(`Access-Control-Allow-Origin":"'*'"`);
    for (const route of Object.keys(definition.paths as JsonObject)) {
      const parameters = preflightOf(definition, route)['x-amazon-apigateway-integration'].responses.default
        .responseParameters;
      expect(parameters['method.response.header.Access-Control-Allow-Origin'], route).toBe("'https://app.example.com'");
    }
    for (const [type, response] of Object.entries(gatewayResponses(definition))) {
      expect(response.responseParameters['gatewayresponse.header.Access-Control-Allow-Origin'], type).toBe(
        "'https://app.example.com'",
      );
    }
  });

  it('with several origins, echoes a listed Origin from each preflight’s template and the Origin from gateway responses, with Vary', () => {
    const origins = ['https://app.example.com', 'http://localhost:5173'];

    const definition = withCorsOrigins(loadApiDefinition(), origins);

    for (const route of Object.keys(definition.paths as JsonObject)) {
      const preflight = preflightOf(definition, route);
      const answer = preflight['x-amazon-apigateway-integration'].responses.default;
      expect(answer.responseParameters['method.response.header.Access-Control-Allow-Origin'], route).toBeUndefined();
      expect(answer.responseParameters['method.response.header.Vary'], route).toBe("'Origin'");
      expect(preflight.responses['204'].headers.Vary, route).toBeDefined();
      const template = answer.responseTemplates?.['application/json'] ?? '';
      expect(template, route).toContain('$context.responseOverride.header.Access-Control-Allow-Origin = $origin');
      for (const origin of origins) expect(template, route).toContain(`"${origin}"`);
    }
    for (const [type, response] of Object.entries(gatewayResponses(definition))) {
      expect(response.responseParameters['gatewayresponse.header.Access-Control-Allow-Origin'], type).toBe(
        'method.request.header.Origin',
      );
      expect(response.responseParameters['gatewayresponse.header.Vary'], type).toBe("'Origin'");
    }
  });
});

describe('TaskboardStack with -c corsAllowedOrigins', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({
      context: { corsAllowedOrigins: 'https://app.example.com,http://localhost:5173' },
    });
  });

  it('gives the API function the list, so it echoes a listed Origin itself', () => {
    synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Taskboard API: every operation of generated/apigateway.json',
      Environment: { Variables: { CORS_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173' } },
    });
  });

  it('imports a definition whose gateway responses echo the Origin', () => {
    const [[, restApi] = []] = resourcesOfType(synthesized.json, 'AWS::ApiGateway::RestApi');
    const body = restApi?.Properties?.Body as JsonObject;

    expect(gatewayResponses(body).UNAUTHORIZED?.responseParameters).toMatchObject({
      'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
    });
  });

  it('refuses an origin with a path, naming the flag', () => {
    expect(() => synthesizeTaskboard({ context: { corsAllowedOrigins: 'https://app.example.com/spa' } })).toThrow(
      /corsAllowedOrigins/,
    );
  });
});
