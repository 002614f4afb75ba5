import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
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
}

/**
 * RDS PostgreSQL 17 in the isolated subnets: not publicly accessible, encrypted gp3 storage that
 * grows on demand, automated backups, TLS required (`rds.force_ssl`), and two secrets — the master
 * user's (single-user rotation; only the migration function reads it) and the application user's
 * `taskboard_app` (multi-user rotation; the only one the API reads). With `useRdsProxy` an RDS Proxy
 * requiring TLS fronts the instance for the API.
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

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { network } = props;

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

    // A fixed identifier gives the exported PostgreSQL log a known log-group name, created below with retention.
    const instanceIdentifier = `${Stack.of(this).stackName}-postgres`
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-+/g, '-');
    const postgresLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/instance/${instanceIdentifier}/postgresql`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceIdentifier,
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
      deleteAutomatedBackups: false,
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql'],
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    this.instance.node.addDependency(postgresLogs);
    if (!this.instance.secret) throw new Error('The instance was created without a generated master secret');
    this.masterSecret = this.instance.secret;

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'The port is not a secret: only the granted security groups reach 5432 inside isolated subnets.',
    });
    if (!props.multiAz) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'Single-AZ by default to keep the workshop stack cheap; deploy with -c multiAz=true for a standby.',
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

    // Rotation functions run in the isolated subnets and talk to Secrets Manager through the endpoint.
    this.rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: network.vpc,
      description: 'Secret rotation functions: PostgreSQL and Secrets Manager only',
      allowAllOutbound: false,
    });
    network.allowSecretsManagerFrom(this.rotationSecurityGroup);
    const rotation = {
      endpoint: network.secretsManagerEndpoint,
      vpcSubnets: network.isolatedSubnets,
      securityGroup: this.rotationSecurityGroup,
      automaticallyAfter: Duration.days(30),
    };
    this.masterRotation = this.instance.addRotationSingleUser(rotation);
    this.appRotation = this.instance.addRotationMultiUser('AppUserRotation', { ...rotation, secret: this.appSecret });
    // The rotation functions come from the Serverless Application Repository with a known name:
    // creating their log groups first gives those logs a retention too.
    for (const secretRotation of [this.masterRotation, this.appRotation]) {
      const uniqueId = Names.uniqueId(secretRotation);
      const functionName = uniqueId.substring(Math.max(uniqueId.length - 64, 0));
      const rotationLogs = new logs.LogGroup(secretRotation, 'Logs', {
        logGroupName: `/aws/lambda/${functionName}`,
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const application = secretRotation.node.defaultChild;
      if (application) application.node.addDependency(rotationLogs);
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

  /** Lets `peer` open PostgreSQL connections to the instance itself (the migration function). */
  allowInstanceConnectionsFrom(peer: ec2.IConnectable, description: string): void {
    this.instance.connections.allowDefaultPortFrom(peer, description);
  }

  /** Lets `peer` open PostgreSQL connections where the API connects (the proxy, when there is one). */
  allowApiConnectionsFrom(peer: ec2.IConnectable, description: string): void {
    this.apiConnections.allowDefaultPortFrom(peer, description);
  }
}
