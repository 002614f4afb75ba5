import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { SecretsAccess } from '../settings.ts';

export interface NetworkProps {
  logRetention: logs.RetentionDays;
  /** How the functions reach Secrets Manager: an interface endpoint, or IPv6 out through an egress-only gateway. */
  secretsAccess: SecretsAccess;
  /** Availability zones of the Secrets Manager endpoint (`endpoint` only): 1 (dev: half the hourly cost) or 2. */
  secretsManagerEndpointAzs: number;
}

/**
 * The private network: a VPC across two availability zones with isolated subnets (no NAT gateway,
 * no internet gateway, no IPv4 route out) and flow logs. Secrets Manager is reached one of two ways:
 *
 * - `endpoint`: an interface endpoint with private DNS (in one or both zones; functions in the other
 *   zone reach it across zones) that admits only the security groups granted through
 *   {@link Network.allowSecretsManagerFrom}. Nothing leaves the VPC.
 * - `ipv6`: the subnets are dual-stack and route `::/0` to an egress-only internet gateway, which
 *   admits no connection from outside; a granted function may open TCP 443 over IPv6 and nothing
 *   else, and reaches Secrets Manager's ordinary (dual-stack) endpoint.
 */
export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Where the functions, the database and the rotation functions live. */
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  readonly secretsAccess: SecretsAccess;
  /** Secrets Manager, reachable without internet access (`endpoint` only). */
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint | undefined;
  /** The endpoint's security group; its ingress rules name each caller (`endpoint` only). */
  readonly secretsManagerEndpointSecurityGroup: ec2.SecurityGroup | undefined;
  /** The egress-only internet gateway (`ipv6` only). */
  readonly egressOnlyGateway: ec2.CfnEgressOnlyInternetGateway | undefined;
  /** What a function granted Secrets Manager must exist after: the endpoint and its group, or the IPv6 routes. */
  readonly secretsManagerPath: Construct[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.secretsAccess = props.secretsAccess;
    const ipv6 = props.secretsAccess === 'ipv6';

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.42.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      restrictDefaultSecurityGroup: true,
      // Dual-stack only for IPv6 egress: an Amazon-provided /56, a /64 per subnet.
      ...(ipv6 ? { ipProtocol: ec2.IpProtocol.DUAL_STACK } : {}),
    });

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    if (ipv6) {
      this.secretsManagerEndpoint = undefined;
      this.secretsManagerEndpointSecurityGroup = undefined;
      this.egressOnlyGateway = new ec2.CfnEgressOnlyInternetGateway(this, 'EgressOnlyGateway', {
        vpcId: this.vpc.vpcId,
      });
      this.secretsManagerPath.push(this.egressOnlyGateway);
      for (const [index, subnet] of this.vpc.isolatedSubnets.entries()) {
        // Isolated for IPv4 (no route but the VPC's own); IPv6 leaves only outwards, through the gateway.
        (subnet as ec2.Subnet).addRoute(`Ipv6Egress${index}`, {
          routerType: ec2.RouterType.EGRESS_ONLY_INTERNET_GATEWAY,
          routerId: this.egressOnlyGateway.ref,
          destinationIpv6CidrBlock: '::/0',
          enablesInternetConnectivity: true,
        });
        const route = subnet.node.tryFindChild(`Ipv6Egress${index}`);
        if (route) this.secretsManagerPath.push(route as Construct);
      }
    } else {
      this.egressOnlyGateway = undefined;
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
      this.secretsManagerPath.push(this.secretsManagerEndpoint, this.secretsManagerEndpointSecurityGroup);
    }
  }

  /** True when functions reach Secrets Manager over IPv6 (and must be allowed IPv6 and prefer it). */
  get ipv6Egress(): boolean {
    return this.secretsAccess === 'ipv6';
  }

  /**
   * Lets `peer` call Secrets Manager: through the endpoint (HTTPS, 443, admitted by the endpoint's
   * group), or out over IPv6 to TCP 443 — the only range rule of any security group.
   */
  allowSecretsManagerFrom(peer: ec2.IConnectable): void {
    if (this.secretsManagerEndpoint) {
      this.secretsManagerEndpoint.connections.allowDefaultPortFrom(peer, 'Secrets Manager over the interface endpoint');
    } else {
      peer.connections.allowTo(
        ec2.Peer.anyIpv6(),
        ec2.Port.tcp(443),
        'Secrets Manager over IPv6 (egress-only gateway)',
      );
    }
  }
}
