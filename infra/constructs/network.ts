import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  logRetention: logs.RetentionDays;
  /** Availability zones of the Secrets Manager endpoint: 1 (dev: half the hourly cost) or 2. */
  secretsManagerEndpointAzs: number;
}

/**
 * The private network: a VPC across two availability zones with isolated subnets only (no NAT
 * gateway, no internet gateway), a Secrets Manager interface endpoint with private DNS (in one or
 * both zones; functions in the other zone reach it across zones) that admits only the security
 * groups granted through {@link Network.allowSecretsManagerFrom}, and flow logs.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Where the functions, the database and the rotation functions live. */
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  /** Secrets Manager, reachable without internet access. */
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  /** The endpoint's security group; its ingress rules name each caller. */
  readonly secretsManagerEndpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.42.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      restrictDefaultSecurityGroup: true,
    });

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.secretsManagerEndpointSecurityGroup = new ec2.SecurityGroup(this, 'SecretsManagerEndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Secrets Manager endpoint: HTTPS from the functions that read secrets',
      allowAllOutbound: false,
    });
    this.secretsManagerEndpoint = this.vpc.addInterfaceEndpoint('SecretsManager', {
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      privateDnsEnabled: true,
      subnets: { subnets: this.vpc.isolatedSubnets.slice(0, props.secretsManagerEndpointAzs) },
      // Closed by default; each caller is admitted by security group.
      open: false,
      securityGroups: [this.secretsManagerEndpointSecurityGroup],
    });
  }

  /** Lets `peer` call Secrets Manager through the endpoint (HTTPS, 443). */
  allowSecretsManagerFrom(peer: ec2.IConnectable): void {
    this.secretsManagerEndpoint.connections.allowDefaultPortFrom(peer, 'Secrets Manager over the interface endpoint');
  }
}
