import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type JsonObject, lambdaOperations, substitutePlaceholders } from '../api-definition.ts';
import type { LogLevel } from '../settings.ts';
import { appSchema, type Database } from './database.ts';
import { HouseFunction } from './house-function.ts';
import type { Network } from './network.ts';

/** Where the Node.js 22 Lambda runtime keeps its CA bundle, which includes the RDS certificate authorities. */
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
}

/**
 * The HTTP API: the API function (handlers/api.ts, in the isolated subnets, reading only the
 * application user's database secret) behind a REGIONAL `SpecRestApi` imported from the generated
 * definition, with the function and user-pool ARNs substituted at synth time, one invoke permission
 * per integrated operation, and a stage with JSON access logs, throttling, metrics and tracing.
 */
export class Api extends Construct {
  readonly function: HouseFunction;
  readonly restApi: apigateway.SpecRestApi;
  readonly stage: apigateway.Stage;
  /** `<api id>.execute-api.<region>.<suffix>`, CloudFront's origin. */
  readonly domainName: string;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { network, database } = props;
    const stack = Stack.of(this);

    this.function = new HouseFunction(this, 'Function', {
      entry: 'handlers/api.ts',
      description: 'Taskboard API: every operation of generated/apigateway.json',
      logRetention: props.logRetention,
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      timeout: Duration.seconds(15),
      memorySize: 1024,
      environment: {
        DB_SECRET_ARN: database.appSecret.secretArn,
        DB_SCHEMA: appSchema,
        DB_SSL: 'on',
        NODE_EXTRA_CA_CERTS: lambdaCaBundle,
        LOG_LEVEL: props.logLevel,
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
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
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
      {
        id: 'AwsSolutions-APIG3',
        reason: 'Only CloudFront reaches the API (origin-verify header); a WAF web ACL is an opt-in cost.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level API Gateway logging role uses the AWS policy made for exactly that.',
      },
    );
  }

  /**
   * Makes the function reject requests that lack CloudFront's origin-verify header: it reads the
   * secret's current (and, during a rotation, previous) value.
   */
  acceptOnlyFrom(originVerifySecret: secretsmanager.ISecret): void {
    this.function.addEnvironment('ORIGIN_VERIFY_SECRET_ARN', originVerifySecret.secretArn);
    originVerifySecret.grantRead(this.function);
  }
}
