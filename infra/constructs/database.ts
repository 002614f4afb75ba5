import { ArnFormat, type CfnResource, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as sam from 'aws-cdk-lib/aws-sam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { Network } from './network.ts';

/** The database the application uses, and the role and schema it owns there. */
export const databaseName = 'taskboard';
export const appUsername = 'taskboard_app';
export const appSchema = 'app';
const masterUsername = 'taskboard_admin';

export interface DatabaseProps {
  network: Network;
  instanceClass: string;
  multiAz: boolean;
  deletionProtection: boolean;
  removalPolicy: RemovalPolicy;
  useRdsProxy: boolean;
  logRetention: logs.RetentionDays;
  /** The share of `max_connections` the proxy may open (its MaxConnectionsPercent). */
  proxyMaxConnectionsPercent: number;
}

/**
 * RDS PostgreSQL 17 in the isolated subnets: not publicly accessible, encrypted gp3 storage that
 * grows on demand, automated backups, TLS required (`rds.force_ssl`), and two secrets — the master
 * user's (single-user rotation; only the migration function reads it) and the application user's
 * `taskboard_app` (the only one the API reads). With `useRdsProxy` an RDS Proxy requiring TLS fronts
 * the instance for the API, and the application secret rotates single-user, so that the user the
 * proxy knows it by never changes; without the proxy it rotates multi-user (no lock-out window).
 */
export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  /** The instance's security group; its ingress rules name each client. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Master credentials, attached to the instance (host, port, dbname filled in). */
  readonly masterSecret: secretsmanager.ISecret;
  /** The application user's credentials, attached to the instance. */
  readonly appSecret: secretsmanager.ISecret;
  /** The RDS Proxy, when `useRdsProxy` is on. */
  readonly proxy: rds.DatabaseProxy | undefined;
  /** Where the API connects: the proxy's security group when there is one, else the instance's. */
  readonly apiConnections: ec2.Connections;
  /** Host the API should use instead of the secret's (the proxy endpoint), if any. */
  readonly apiHost: string | undefined;
  /** The rotation functions' security group: PostgreSQL and Secrets Manager only. */
  readonly rotationSecurityGroup: ec2.SecurityGroup;
  readonly masterRotation: secretsmanager.SecretRotation;
  readonly appRotation: secretsmanager.SecretRotation;
  /** `single` with RDS Proxy (the username stays), `multi` without (alternating users). */
  readonly appRotationScheme: 'single' | 'multi';
  /** The rotation functions' names, by rotation: `MasterRotation`, `AppUserRotation`. */
  readonly rotationFunctionNames: Record<string, string> = {};
  /** The custom resources that allow the rotation functions IPv6 (`secretsAccess=ipv6`). */
  readonly rotationIpv6: cr.AwsCustomResource[] = [];
  private readonly logRetention: logs.RetentionDays;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { network } = props;
    this.logRetention = props.logRetention;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: 'PostgreSQL: 5432 from the functions granted access only',
      allowAllOutbound: false,
    });

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      description: 'Taskboard PostgreSQL 17: TLS only',
      parameters: { 'rds.force_ssl': '1' },
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      // No fixed identifier: CloudFormation names the instance, so a change that needs a replacement
      // can create the new instance before it deletes the old one.
      instanceType: new ec2.InstanceType(props.instanceClass),
      port: 5432,
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      securityGroups: [this.securityGroup],
      publiclyAccessible: false,
      multiAz: props.multiAz,
      databaseName,
      credentials: rds.Credentials.fromGeneratedSecret(masterUsername),
      parameterGroup,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      storageType: rds.StorageType.GP3,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageEncrypted: true,
      backupRetention: Duration.days(7),
      copyTagsToSnapshot: true,
      // Kept after a delete unless the stack is a throw-away one (removalPolicy destroy).
      deleteAutomatedBackups: props.removalPolicy === RemovalPolicy.DESTROY,
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql'],
      // RDS creates /aws/rds/instance/<generated name>/postgresql; a CDK log-retention function sets its retention.
      cloudwatchLogsRetention: props.logRetention,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    // The log-retention function is CDK's stack-wide singleton (a LogRetention construct next to the stack's other children).
    for (const child of Stack.of(this).node.children) {
      if (!child.node.id.startsWith('LogRetention')) continue;
      Validations.of(child).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            "CDK's log-retention function writes its own logs with the basic execution policy; it runs on deploy only.",
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            "CDK's log-retention function sets retention on RDS's log group, whose name it learns at deploy time.",
        },
      );
    }
    if (!this.instance.secret) throw new Error('The instance was created without a generated master secret');
    this.masterSecret = this.instance.secret;

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'The port is not a secret: only the granted security groups reach 5432 inside isolated subnets.',
    });
    if (!props.multiAz) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'Single-AZ in the dev profile to keep it cheap; the prod profile (or -c multiAz=true) adds a standby.',
      });
    }
    if (!props.deletionProtection) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Deletion protection was switched off through the deletionProtection context flag.',
      });
    }

    this.appSecret = new rds.DatabaseSecret(this, 'AppUserSecret', {
      username: appUsername,
      dbname: databaseName,
      // Multi-user rotation logs in as the master user to create the alternate user.
      masterSecret: this.masterSecret,
    }).attach(this.instance);

    // Rotation functions run in the isolated subnets and reach Secrets Manager like the other functions.
    this.rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: network.vpc,
      description: 'Secret rotation functions: PostgreSQL and Secrets Manager only',
      allowAllOutbound: false,
    });
    network.allowSecretsManagerFrom(this.rotationSecurityGroup);
    // No `endpoint`: the functions then call https://secretsmanager.<region>.amazonaws.com, which the
    // interface endpoint's private DNS answers inside the VPC (the vpce-specific name is not needed),
    // and which, without an endpoint, is Secrets Manager's dual-stack public endpoint.
    const rotation = {
      vpcSubnets: network.isolatedSubnets,
      securityGroup: this.rotationSecurityGroup,
      automaticallyAfter: Duration.days(30),
    };
    this.masterRotation = this.instance.addRotationSingleUser(rotation);
    this.appRotationScheme = props.useRdsProxy ? 'single' : 'multi';
    this.appRotation =
      this.appRotationScheme === 'single'
        ? // The proxy authenticates clients as the users of its secrets; alternating users would change
          // the username under it, so with the proxy the application user changes its own password.
          new secretsmanager.SecretRotation(this.instance, 'AppUserRotation', {
            ...rotation,
            application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
            secret: this.appSecret,
            target: this.instance,
            vpc: network.vpc,
          })
        : this.instance.addRotationMultiUser('AppUserRotation', { ...rotation, secret: this.appSecret });
    // The rotation functions come from the Serverless Application Repository with a known name:
    // creating their log groups first gives those logs a retention too.
    for (const [name, secretRotation] of [
      ['MasterRotation', this.masterRotation],
      ['AppUserRotation', this.appRotation],
    ] as const) {
      const uniqueId = Names.uniqueId(secretRotation);
      const functionName = uniqueId.substring(Math.max(uniqueId.length - 64, 0));
      this.rotationFunctionNames[name] = functionName;
      const rotationLogs = new logs.LogGroup(secretRotation, 'Logs', {
        logGroupName: `/aws/lambda/${functionName}`,
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const application = secretRotation.node.defaultChild as sam.CfnApplication | undefined;
      if (!application) throw new Error(`${name}: the rotation has no application`);
      application.node.addDependency(rotationLogs);
      if (network.ipv6Egress) this.allowRotationIpv6(name, secretRotation, application, functionName, network);
    }

    if (props.useRdsProxy) {
      const proxySecurityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
        vpc: network.vpc,
        description: 'RDS Proxy: 5432 from the API function, to PostgreSQL',
        allowAllOutbound: false,
      });
      network.allowSecretsManagerFrom(proxySecurityGroup);
      this.proxy = this.instance.addProxy('Proxy', {
        secrets: [this.appSecret],
        vpc: network.vpc,
        vpcSubnets: network.isolatedSubnets,
        securityGroups: [proxySecurityGroup],
        requireTLS: true,
        iamAuth: false,
        debugLogging: false,
        borrowTimeout: Duration.seconds(5),
        // The connection budget (infra/README.md): what the API may hold, leaving the headroom free.
        maxConnectionsPercent: props.proxyMaxConnectionsPercent,
        maxIdleConnectionsPercent: Math.min(50, props.proxyMaxConnectionsPercent),
      });
      this.instance.connections.allowDefaultPortFrom(proxySecurityGroup, 'RDS Proxy to PostgreSQL');
      // The proxy's own connections carry no port; it listens on PostgreSQL's.
      this.apiConnections = new ec2.Connections({
        securityGroups: [proxySecurityGroup],
        defaultPort: ec2.Port.tcp(5432),
      });
      this.apiHost = this.proxy.endpoint;
    } else {
      this.proxy = undefined;
      this.apiConnections = this.instance.connections;
      this.apiHost = undefined;
    }
  }

  /**
   * The rotation functions come from the Serverless Application Repository, whose template has no
   * IPv6 switch, so after each deploy of the application this turns on `Ipv6AllowedForDualStack`
   * (same subnets, same security group): without it a VPC function sends no IPv6, and with IPv6
   * egress only it could not reach Secrets Manager. Python's resolver (glibc, RFC 6724) already
   * prefers IPv6 when the function has a global IPv6 address. The secret's first rotation waits for it.
   */
  private allowRotationIpv6(
    name: string,
    rotation: secretsmanager.SecretRotation,
    application: sam.CfnApplication,
    functionName: string,
    network: Network,
  ): void {
    const stack = Stack.of(this);
    const functionArn = stack.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: functionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const vpcConfig = {
      SubnetIds: network.vpc.selectSubnets(network.isolatedSubnets).subnetIds,
      SecurityGroupIds: [this.rotationSecurityGroup.securityGroupId],
      Ipv6AllowedForDualStack: true,
    };
    const call: cr.AwsSdkCall = {
      service: 'Lambda',
      action: 'updateFunctionConfiguration',
      parameters: { FunctionName: functionName, VpcConfig: vpcConfig },
      physicalResourceId: cr.PhysicalResourceId.of(`${functionName}-ipv6`),
    };
    const allowIpv6 = new cr.AwsCustomResource(rotation, 'AllowIpv6', {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      // One function serves every AwsCustomResource of the stack: one log group for it.
      logGroup: this.customResourceLogs(),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['lambda:UpdateFunctionConfiguration'], resources: [functionArn] }),
        // Lambda checks that the caller may see the subnets and security groups it attaches.
        new iam.PolicyStatement({
          actions: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
          resources: ['*'],
        }),
      ]),
    });
    Validations.of(allowIpv6).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:Describe* accepts no resource; Lambda requires them of whoever attaches subnets and groups.',
    });
    // The singleton function CDK adds to the stack for every AwsCustomResource.
    const singleton = Stack.of(this).node.tryFindChild(
      `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`,
    );
    if (singleton) {
      Validations.of(singleton).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's AwsCustomResource function writes its own logs with the basic execution policy; it runs on deploy only.",
      });
    }
    allowIpv6.node.addDependency(application);
    // Re-applied whenever the application's version changes (its update would reset the VPC settings).
    const location = application.location as sam.CfnApplication.ApplicationLocationProperty;
    (allowIpv6.node.findChild('Resource').node.defaultChild as CfnResource).addPropertyOverride(
      'RotationApplication',
      location.semanticVersion,
    );
    const secret = (name === 'MasterRotation' ? this.masterSecret : this.appSecret).node.tryFindChild(
      'RotationSchedule',
    );
    secret?.node.addDependency(allowIpv6);
    this.rotationIpv6.push(allowIpv6);
  }

  private customResourceLogs(): logs.ILogGroup {
    const existing = this.node.tryFindChild('CustomResourceLogs') as logs.LogGroup | undefined;
    return (
      existing ??
      new logs.LogGroup(this, 'CustomResourceLogs', {
        retention: this.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      })
    );
  }

  /** Lets `peer` open PostgreSQL connections to the instance itself (the migration function). */
  allowInstanceConnectionsFrom(peer: ec2.IConnectable, description: string): void {
    this.instance.connections.allowDefaultPortFrom(peer, description);
  }

  /** Lets `peer` open PostgreSQL connections where the API connects (the proxy, when there is one). */
  allowApiConnectionsFrom(peer: ec2.IConnectable, description: string): void {
    this.apiConnections.allowDefaultPortFrom(peer, description);
  }
}
