import path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { projectRoot } from '../api-definition.ts';
import { lambdaBundling } from '../bundling.ts';

/**
 * Makes `dns.lookup` (what `https` and so the AWS SDK use) return IPv6 addresses first. Secrets
 * Manager's regional name has both; with no IPv4 route out, IPv6 is the one that connects. The SDK's
 * `useDualstackEndpoint` would instead pick a `.api.aws` name that does not resolve for Secrets Manager.
 */
export const preferIpv6NodeOption = '--dns-result-order=ipv6first';

export interface HouseFunctionProps {
  /** Entry module, relative to the repository root (e.g. `handlers/api.ts`). */
  entry: string;
  /** Exported handler name. */
  handler?: string;
  description: string;
  logRetention: logs.RetentionDays;
  /** When set, the function runs in these subnets with its own security group that allows no traffic until granted. */
  vpc?: ec2.IVpc;
  vpcSubnets?: ec2.SubnetSelection;
  /**
   * The subnets are dual-stack and Secrets Manager is reached over IPv6: allow the function IPv6
   * and make Node.js try IPv6 addresses first (the SDK's own dual-stack setting is not used).
   */
  preferIpv6?: boolean;
  environment?: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  /** Reserved concurrency: the most instances that may run at once (the API's connection budget). */
  reservedConcurrentExecutions?: number;
  /** Shell commands run after esbuild, e.g. to copy files next to the bundle. */
  afterBundling?: (inputDir: string, outputDir: string) => string[];
}

/**
 * Every Lambda function of the project, with the house defaults: Node.js 24 on arm64, an ESM bundle
 * built by local esbuild (never Docker), minified with source maps, X-Ray tracing, its own log group
 * with retention, and an execution role that may write to that log group only (plus the
 * network-interface actions a VPC function needs) — no AWS managed policies.
 */
export class HouseFunction extends nodejs.NodejsFunction {
  /** The execution role; grants add to it. */
  readonly executionRole: iam.Role;
  /** The function's log group, with the house retention. */
  readonly functionLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    logGroup.grantWrite(role);
    if (props.vpc) {
      // The actions AWSLambdaVPCAccessExecutionRole grants; EC2 does not scope them to resources.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }

    super(scope, id, {
      entry: path.join(projectRoot, props.entry),
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      logGroup,
      role,
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      ...(props.vpc
        ? {
            vpc: props.vpc,
            vpcSubnets: props.vpcSubnets,
            allowAllOutbound: false,
            allowAllIpv6Outbound: false,
            ...(props.preferIpv6 ? { ipv6AllowedForDualStack: true } : {}),
          }
        : {}),
      environment: {
        NODE_OPTIONS: props.preferIpv6 ? `--enable-source-maps ${preferIpv6NodeOption}` : '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        ...lambdaBundling,
        mainFields: [...lambdaBundling.mainFields],
        externalModules: [...lambdaBundling.externalModules],
        logLevel: nodejs.LogLevel.WARNING,
        sourceMap: true,
        ...(props.afterBundling
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: props.afterBundling,
              },
            }
          : {}),
      },
    });
    this.executionRole = role;
    this.functionLogGroup = logGroup;

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 24 is the runtime the project builds, tests and bundles for; a new major is adopted deliberately.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray trace upload and VPC network-interface management accept no resource scoping.',
    });
  }
}
