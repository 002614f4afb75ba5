import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../infra/api-definition.ts';
import { permissionSuffix, type SpecOperation, specOperations } from './support/spec.ts';
import {
  generatedDefinition,
  propertyOf,
  render,
  resourcesOfType,
  type Synthesized,
  synthesizeTaskboard,
} from './support/synthesize.ts';

type Body = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
  'x-amazon-apigateway-gateway-responses': Record<string, { responseParameters: Record<string, string> }>;
};

const restApiBody = (synthesized: Synthesized): Body => {
  const [[, restApi] = []] = resourcesOfType(synthesized.json, 'AWS::ApiGateway::RestApi');
  return restApi?.Properties?.Body as Body;
};

/** The `/*\/METHOD/path` ends of the API function's invoke permissions for API Gateway. */
const invokePermissionSuffixes = (synthesized: Synthesized): string[] => {
  const functionId = synthesized.logicalId(synthesized.stack.api.function);
  const restApiId = synthesized.logicalId(synthesized.stack.api.restApi);
  const prefix = `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${restApiId}>`;
  return resourcesOfType(synthesized.json, 'AWS::Lambda::Permission')
    .map(([, permission]) => permission.Properties ?? {})
    .filter((properties) => properties.Principal === 'apigateway.amazonaws.com')
    .map((properties) => {
      expect(render(properties.FunctionName)).toBe(`<${functionId}.Arn>`);
      const sourceArn = render(properties.SourceArn);
      expect(sourceArn.startsWith(prefix)).toBe(true);
      return sourceArn.slice(prefix.length);
    });
};

describe('Api', () => {
  let synthesized: Synthesized;
  let operations: SpecOperation[];

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
    operations = specOperations();
  });

  describe('the imported definition', () => {
    it('integrates every operation of the spec with the API function through a Lambda proxy integration', () => {
      const body = restApiBody(synthesized);
      const functionId = synthesized.logicalId(synthesized.stack.api.function);

      for (const operation of operations) {
        const integration = body.paths[operation.path]?.[operation.method.toLowerCase()]?.[
          'x-amazon-apigateway-integration'
        ] as { type: string; uri: unknown } | undefined;
        expect(integration?.type, operation.operationId).toBe('aws_proxy');
        expect(render(integration?.uri), operation.operationId).toBe(
          `arn:<AWS::Partition>:apigateway:<AWS::Region>:lambda:path/2015-03-31/functions/<${functionId}.Arn>/invocations`,
        );
      }
      expect(operations.length).toBeGreaterThan(0);
    });

    it('protects every secured operation with the Cognito authorizer of the stack’s user pool', () => {
      const body = restApiBody(synthesized);
      const userPoolId = synthesized.logicalId(synthesized.stack.auth.userPool);
      const scheme = body.components.securitySchemes.CognitoIdToken;

      expect(scheme?.['x-amazon-apigateway-authtype']).toBe('cognito_user_pools');
      expect(scheme?.['x-amazon-apigateway-authorizer']).toEqual({
        type: 'cognito_user_pools',
        providerARNs: [{ 'Fn::GetAtt': [userPoolId, 'Arn'] }],
      });
      const secured = operations.filter((operation) => operation.secured);
      expect(secured.length).toBeGreaterThan(0);
      for (const operation of secured) {
        const security = body.paths[operation.path]?.[operation.method.toLowerCase()]?.security;
        expect(security, operation.operationId).toEqual([{ CognitoIdToken: [] }]);
      }
    });

    it('leaves every public operation (getHealth) without an authorizer', () => {
      const body = restApiBody(synthesized);
      const open = operations.filter((operation) => !operation.secured);

      expect(open.map((operation) => operation.operationId)).toContain('getHealth');
      for (const operation of open) {
        const security = body.paths[operation.path]?.[operation.method.toLowerCase()]?.security;
        expect(security, operation.operationId).toEqual([]);
      }
    });

    it('replaces every placeholder with a real value', () => {
      const body = JSON.stringify(restApiBody(synthesized));

      expect(body).not.toMatch(/\$\{(ApiFunctionArn|UserPoolArn|AWS::Partition|AWS::Region)\}/);
    });

    it('keeps the gateway responses that carry CORS headers', () => {
      const responses = restApiBody(synthesized)['x-amazon-apigateway-gateway-responses'];

      for (const name of ['UNAUTHORIZED', 'THROTTLED', 'DEFAULT_5XX']) {
        expect(responses[name]?.responseParameters['gatewayresponse.header.Access-Control-Allow-Origin'], name).toBe(
          "'*'",
        );
      }
    });

    it('is a REGIONAL REST API', () => {
      synthesized.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
    });
  });

  describe('invoke permissions', () => {
    it('grants API Gateway one invoke permission per operation, for that method and path only, plus each path’s ANY (405)', () => {
      const suffixes = invokePermissionSuffixes(synthesized);
      const anyMethod = [...new Set(operations.map((operation) => operation.path))].map((route) =>
        permissionSuffix({ method: '*', path: route }),
      );

      expect(suffixes.sort()).toEqual([...operations.map(permissionSuffix), ...anyMethod].sort());
    });

    it('never grants a wildcard path, and a wildcard method only for a documented path’s ANY method', () => {
      const suffixes = invokePermissionSuffixes(synthesized);

      for (const suffix of suffixes) expect(suffix).toMatch(/^\/\*\/(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS|\*)\/[^*]/);
    });
  });

  describe('stage', () => {
    it('throttles at rate 1000 and burst 2000, with metrics, tracing and JSON access logs', () => {
      const accessLogsId = synthesized.logicalId(synthesized.stack.api.accessLogs);

      synthesized.template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'v1',
        TracingEnabled: true,
        MethodSettings: [
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            MetricsEnabled: true,
            ThrottlingRateLimit: 1000,
            ThrottlingBurstLimit: 2000,
          }),
        ],
        AccessLogSetting: {
          DestinationArn: Match.anyValue(),
          Format: Match.stringLikeRegexp('^\\{.*"requestId":"\\$context.requestId".*\\}$'),
        },
      });
      const setting = propertyOf(synthesized, synthesized.stack.api.stage, 'AccessLogSetting') as {
        DestinationArn: unknown;
        Format: string;
      };
      expect(render(setting.DestinationArn)).toContain(`<${accessLogsId}>`);
      // The request log of record (the function logs only rejected and failed requests): who, what, how long.
      expect(JSON.parse(setting.Format)).toMatchObject({
        requestId: '$context.requestId',
        httpMethod: '$context.httpMethod',
        resourcePath: '$context.resourcePath',
        status: '$context.status',
        responseLatency: '$context.responseLatency',
        integrationLatency: '$context.integrationLatency',
        sub: '$context.authorizer.claims.sub',
      });
    });

    it('takes its throttling limits from context', () => {
      const throttled = synthesizeTaskboard({ context: { throttlingRateLimit: '50', throttlingBurstLimit: '100' } });

      throttled.template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
      });
    });
  });

  describe('API function', () => {
    it('runs handlers/api.ts on Node.js 24, arm64, in the isolated subnets, with the database and origin settings', () => {
      const { stack } = synthesized;

      synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        VpcConfig: {
          SubnetIds: stack.network.vpc.isolatedSubnets.map((subnet) => ({ Ref: synthesized.logicalId(subnet) })),
          SecurityGroupIds: Match.anyValue(),
        },
        Environment: {
          Variables: {
            DB_SECRET_ARN: { Ref: synthesized.logicalId(stack.database.appSecret) },
            DB_SSL: 'on',
            NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
            // dev reaches Secrets Manager over IPv6 (test/infra/secrets-access.test.ts).
            NODE_OPTIONS: '--enable-source-maps --dns-result-order=ipv6first',
            ORIGIN_VERIFY_SECRET_ARN: { Ref: synthesized.logicalId(stack.edge.originVerifySecret) },
            LOG_LEVEL: 'info',
          },
        },
      });
    });
  });

  describe('when the generated definition changes', () => {
    let changed: Synthesized;

    beforeAll(() => {
      // What `npm run generate` would produce after adding an operation to openapi/: nothing in infra/ changes.
      const definition = generatedDefinition();
      const paths = definition.paths as JsonObject;
      const getTask = (paths['/tasks/{taskId}'] as JsonObject).get as JsonObject;
      paths['/tasks/{taskId}/archive'] = {
        post: { ...getTask, operationId: 'archiveTask', summary: 'Archive a task' },
      };
      changed = synthesizeTaskboard({ definition });
    });

    it('deploys the new operation, integrated with the API function', () => {
      const body = restApiBody(changed);
      const functionId = changed.logicalId(changed.stack.api.function);

      const integration = body.paths['/tasks/{taskId}/archive']?.post?.['x-amazon-apigateway-integration'] as {
        uri: unknown;
      };
      expect(render(integration.uri)).toContain(`<${functionId}.Arn>`);
    });

    it('grants an invoke permission for the new operation', () => {
      expect(invokePermissionSuffixes(changed)).toContain('/*/POST/tasks/*/archive');
    });

    it('creates a new deployment, so that the stage serves the new definition', () => {
      const [[original] = []] = resourcesOfType(synthesized.json, 'AWS::ApiGateway::Deployment');
      const [[updated] = []] = resourcesOfType(changed.json, 'AWS::ApiGateway::Deployment');

      expect(updated).toBeDefined();
      expect(updated).not.toBe(original);
    });
  });
});
