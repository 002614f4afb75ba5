import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { type JsonObject, lambdaOperations, substitutePlaceholders } from '../api-definition.ts';
import type { LogLevel } from '../settings.ts';
import type { Database } from './database.ts';
import { HouseFunction } from './house-function.ts';
import type { Network } from './network.ts';

/** Where the Node.js Lambda runtime (22 and 24 alike) keeps its CA bundle, which includes the RDS certificate authorities. */
export const lambdaCaBundle = '/var/runtime/ca-cert.pem';

export interface ApiProps {
  /** The API Gateway definition with its placeholders (generated/apigateway.json). */
  definition: JsonObject;
  network: Network;
  database: Database;
  userPool: cognito.IUserPool;
  stageName: string;
  throttlingRateLimit: number;
  throttlingBurstLimit: number;
  logLevel: LogLevel;
  logRetention: logs.RetentionDays;
  /** The API function's reserved concurrency: the database connection budget (infra/README.md); 0 = not reserved. */
  reservedConcurrency: number;
  /**
   * A regional WAF web ACL on the stage with this rate-based rule (requests per 5 minutes per IP) for
   * requests that do not come through CloudFront; created by {@link Api.acceptOnlyFrom}.
   */
  wafRateLimit: number | undefined;
}

/**
 * The HTTP API: the API function (handlers/api.ts, in the isolated subnets, reading only the
 * application user's database secret) behind a REGIONAL `SpecRestApi` imported from the generated
 * definition, with the function and user-pool ARNs substituted at synth time, one invoke permission
 * per integrated operation, and a stage with JSON access logs, an execution log group created
 * here with retention, throttling, metrics and tracing; optionally a regional WAF web ACL.
 */
export class Api extends Construct {
  readonly function: HouseFunction;
  readonly restApi: apigateway.SpecRestApi;
  readonly stage: apigateway.Stage;
  /** `<api id>.execute-api.<region>.<suffix>`, CloudFront's origin. */
  readonly domainName: string;
  readonly accessLogs: logs.LogGroup;
  /** `API-Gateway-Execution-Logs_<api id>/<stage>`, which API Gateway would otherwise create without retention. */
  readonly executionLogs: logs.LogGroup;
  /** The regional web ACL on the stage, when WAF is on (created by {@link Api.acceptOnlyFrom}). */
  webAcl: wafv2.CfnWebACL | undefined;
  private readonly wafRateLimit: number | undefined;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { network, database } = props;
    const stack = Stack.of(this);
    this.wafRateLimit = props.wafRateLimit;

    this.function = new HouseFunction(this, 'Function', {
      entry: 'handlers/api.ts',
      description: 'Taskboard API: every operation of generated/apigateway.json',
      logRetention: props.logRetention,
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      preferIpv6: network.ipv6Egress,
      timeout: Duration.seconds(15),
      memorySize: 1024,
      // Lambda refuses a reservation of 0 (it would stop the function): 0 means "not reserved" here.
      ...(props.reservedConcurrency > 0 ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      environment: {
        DB_SECRET_ARN: database.appSecret.secretArn,
        DB_SSL: 'on',
        NODE_EXTRA_CA_CERTS: lambdaCaBundle,
        LOG_LEVEL: props.logLevel,
        METRICS: 'emf',
        ...(database.apiHost ? { DB_HOST: database.apiHost } : {}),
      },
    });
    database.appSecret.grantRead(this.function);
    database.allowApiConnectionsFrom(this.function, 'API function to PostgreSQL');
    network.allowSecretsManagerFrom(this.function);

    const definition = substitutePlaceholders(props.definition, {
      functionArn: this.function.functionArn,
      userPoolArn: props.userPool.userPoolArn,
      partition: stack.partition,
      region: stack.region,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.restApi = new apigateway.SpecRestApi(this, 'RestApi', {
      restApiName: `${stack.stackName}-api`,
      description: 'Taskboard API, imported from generated/apigateway.json',
      apiDefinition: apigateway.ApiDefinition.fromInline(definition),
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // API Gateway writes access and execution logs through the account-level CloudWatch role.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        metricsEnabled: true,
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      },
    });
    // SpecRestApi does not redeploy when only the inline body changes: make the definition part of
    // the deployment's identity so that a regenerated definition reaches the stage.
    this.restApi.latestDeployment?.addToLogicalId(props.definition);
    this.stage = this.restApi.deploymentStage;
    // The stack outputs the stage URL as ApiUrl; drop the construct's own, unnamed duplicate.
    this.restApi.node.tryRemoveChild('Endpoint');
    this.domainName = `${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`;

    // Created before the stage, so that API Gateway writes into a log group that has a retention.
    this.executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.restApi.restApiId}/${props.stageName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage.node.addDependency(this.executionLogs);

    // One permission per imported method, never one for the whole API.
    for (const operation of lambdaOperations(props.definition)) {
      this.function.addPermission(`Invoke-${operation.operationId}`, {
        principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceArn: this.restApi.arnForExecuteApi(operation.method, operation.arnPath, '*'),
      });
    }

    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason: 'Requests are validated by the API function against the spec (generated validators, problem+json).',
      },
      ...(props.wafRateLimit !== undefined
        ? []
        : [
            {
              id: 'AwsSolutions-APIG3',
              reason:
                'Only CloudFront reaches the API (origin-verify header); the prod profile (-c waf=true) adds WAF.',
            },
          ]),
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level API Gateway logging role uses the AWS policy made for exactly that.',
      },
    );
  }

  /**
   * Makes the function reject requests that lack CloudFront's origin-verify header: it reads the
   * secret's current (and, during a rotation, previous) value. With WAF on, the stage's web ACL
   * rate-limits per IP only the requests that do not carry `originVerifyValue` — the value CloudFront
   * sends — because everything CloudFront forwards comes from a few edge servers' addresses, which
   * every user behind one edge location shares (CloudFront's own web ACL limits those users by their IP).
   */
  acceptOnlyFrom(originVerifySecret: secretsmanager.ISecret, origin: { header: string; value: string }): void {
    this.function.addEnvironment('ORIGIN_VERIFY_SECRET_ARN', originVerifySecret.secretArn);
    originVerifySecret.grantRead(this.function);
    if (this.wafRateLimit === undefined) return;
    this.webAcl = rateLimitedWebAcl(this, 'WebAcl', 'REGIONAL', this.wafRateLimit, {
      notStatement: {
        statement: {
          byteMatchStatement: {
            // WAF wants header names in lower case; the value is a dynamic reference, resolved at deploy.
            fieldToMatch: { singleHeader: { Name: origin.header.toLowerCase() } },
            positionalConstraint: 'EXACTLY',
            searchString: origin.value,
            textTransformations: [{ priority: 0, type: 'NONE' }],
          },
        },
      },
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

/**
 * A web ACL that allows everything except clients over `limit` requests in 5 minutes per IP, which
 * it blocks until they slow down; CloudWatch metrics on, sampled requests on. With `scopeDown`, only
 * the requests it matches are counted and blocked.
 */
export function rateLimitedWebAcl(
  scope: Construct,
  id: string,
  webAclScope: 'REGIONAL' | 'CLOUDFRONT',
  limit: number,
  scopeDown?: wafv2.CfnWebACL.StatementProperty,
): wafv2.CfnWebACL {
  const metricName = `${Stack.of(scope).stackName}-${id}-${webAclScope}`.replace(/[^A-Za-z0-9-]/g, '-');
  return new wafv2.CfnWebACL(scope, id, {
    scope: webAclScope,
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true },
    rules: [
      {
        name: 'RateLimitPerIp',
        priority: 0,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            limit,
            aggregateKeyType: 'IP',
            evaluationWindowSec: 300,
            ...(scopeDown ? { scopeDownStatement: scopeDown } : {}),
          },
        },
        visibilityConfig: {
          cloudWatchMetricsEnabled: true,
          metricName: `${metricName}-rate`,
          sampledRequestsEnabled: true,
        },
      },
    ],
  });
}

/**
 * The stage's access log: one JSON line per request, including those the authorizer or throttling
 * reject before the function runs. It is the request log of record: the function adds a line only
 * for a rejected or failed request (handlers/runtime/api-handler.ts), under the same requestId.
 */
function accessLogFormat(): apigateway.AccessLogFormat {
  const field = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: field.contextRequestId(),
      requestTime: field.contextRequestTime(),
      ip: field.contextIdentitySourceIp(),
      protocol: field.contextProtocol(),
      httpMethod: field.contextHttpMethod(),
      resourcePath: field.contextResourcePath(),
      status: field.contextStatus(),
      responseLength: field.contextResponseLength(),
      responseLatency: field.contextResponseLatency(),
      integrationLatency: field.contextIntegrationLatency(),
      errorMessage: field.contextErrorMessage(),
      // The caller's Cognito sub (never the token): whose request it was, as the database knows them.
      sub: field.contextAuthorizerClaims('sub'),
    }),
  );
}
