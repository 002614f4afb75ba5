import { Match } from 'aws-cdk-lib/assertions';
import type { IConnectable } from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentOf, render, resourcesOfType, type Synthesized, synthesizeTaskboard } from './support/synthesize.ts';

/** The security group of a function (or anything with connections), as a rule renders its id. */
const groupIdOf = (synthesized: Synthesized, connectable: IConnectable | IConstruct): string => {
  const group = 'connections' in connectable ? connectable.connections.securityGroups[0] : connectable;
  if (!group) throw new Error('no security group');
  return `<${synthesized.logicalId(group)}.GroupId>`;
};

/** The ingress rules into one security group: [source group, from port, to port]. */
const ingressInto = (synthesized: Synthesized, group: IConstruct): [string, unknown, unknown][] =>
  resourcesOfType(synthesized.json, 'AWS::EC2::SecurityGroupIngress')
    .map(([, rule]) => rule.Properties ?? {})
    .filter((rule) => render(rule.GroupId) === groupIdOf(synthesized, group))
    .map((rule) => [render(rule.SourceSecurityGroupId), render(rule.FromPort), render(rule.ToPort)]);

// The isolated network with the interface endpoint (prod's); dev's IPv6 egress: test/infra/secrets-access.test.ts.
describe('Network (secretsAccess=endpoint)', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ context: { secretsAccess: 'endpoint' } });
  });

  it('spans two availability zones with isolated subnets only', () => {
    const subnets = resourcesOfType(synthesized.json, 'AWS::EC2::Subnet');

    expect(subnets).toHaveLength(2);
    const zones = subnets.map(([, subnet]) => JSON.stringify(subnet.Properties?.AvailabilityZone));
    expect(new Set(zones).size).toBe(2);
    for (const [, subnet] of subnets) {
      expect(subnet.Properties?.MapPublicIpOnLaunch).toBe(false);
      expect(subnet.Properties?.Tags).toContainEqual({ Key: 'aws-cdk:subnet-type', Value: 'Isolated' });
    }
  });

  it('has no NAT gateway, internet gateway or route to the internet', () => {
    synthesized.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    synthesized.template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    synthesized.template.resourceCountIs('AWS::EC2::VPCGatewayAttachment', 0);
    synthesized.template.resourceCountIs('AWS::EC2::Route', 0);
  });

  it('reaches Secrets Manager through an interface endpoint with private DNS', () => {
    synthesized.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.secretsmanager'])]) }),
    });
  });

  it('logs the VPC’s traffic to CloudWatch Logs', () => {
    synthesized.template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      LogDestinationType: 'cloud-watch-logs',
      TrafficType: 'ALL',
    });
  });

  it('admits to the endpoint (443) only the functions that read secrets', () => {
    const { stack } = synthesized;
    const expected = [
      stack.api.function,
      stack.migrations.function,
      stack.sweep.function,
      stack.database.rotationSecurityGroup,
    ].map((source) => [groupIdOf(synthesized, source), '443', '443']);

    const rules = ingressInto(synthesized, stack.network.secretsManagerEndpointSecurityGroup ?? stack);

    expect(rules.sort()).toEqual(expected.sort());
  });

  it('opens no security group to an address range, in or out', () => {
    for (const [id, group] of resourcesOfType(synthesized.json, 'AWS::EC2::SecurityGroup')) {
      const ingress = (group.Properties?.SecurityGroupIngress ?? []) as Record<string, unknown>[];
      const egress = (group.Properties?.SecurityGroupEgress ?? []) as Record<string, unknown>[];
      expect(ingress, id).toEqual([]);
      for (const rule of egress) expect(rule.CidrIp, id).toBe('255.255.255.255/32');
    }
    for (const [id, rule] of resourcesOfType(synthesized.json, 'AWS::EC2::SecurityGroupIngress')) {
      expect(rule.Properties?.SourceSecurityGroupId, id).toBeDefined();
    }
  });
});

describe('Database', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
  });

  it('is PostgreSQL 17, private, encrypted, on gp3 that grows, with backups (dev: no deletion protection)', () => {
    synthesized.template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^17'),
      PubliclyAccessible: false,
      StorageEncrypted: true,
      StorageType: 'gp3',
      AllocatedStorage: '20',
      MaxAllocatedStorage: 100,
      BackupRetentionPeriod: 7,
      DeletionProtection: false,
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    });
  });

  it('requires TLS for every connection', () => {
    synthesized.template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres17',
      Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
    });
  });

  it('admits on 5432 only the API function, the migration function, the sweep and the rotation functions', () => {
    const { stack } = synthesized;
    const port = `<${synthesized.logicalId(stack.database.instance)}.Endpoint.Port>`;
    const expected = [
      stack.api.function,
      stack.migrations.function,
      stack.sweep.function,
      stack.database.rotationSecurityGroup,
    ].map((source) => [groupIdOf(synthesized, source), port, port]);

    const rules = ingressInto(synthesized, stack.database.securityGroup);

    synthesized.template.hasResourceProperties('AWS::RDS::DBInstance', { Port: '5432' });

    expect(rules.sort()).toEqual(expected.sort());
  });

  it('generates the master credentials into Secrets Manager and rotates them (single user)', () => {
    synthesized.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"taskboard_admin"}' }),
    });
    synthesized.template.hasResourceProperties('AWS::Serverless::Application', {
      Location: {
        ApplicationId: Match.objectLike({ 'Fn::FindInMap': Match.anyValue() }),
        SemanticVersion: Match.anyValue(),
      },
      Parameters: Match.objectLike({ functionName: Match.stringLikeRegexp('DatabaseInstanceRotationSingleUser') }),
    });
  });

  it('keeps a separate application user secret (taskboard_app) with multi-user rotation', () => {
    const { stack } = synthesized;

    synthesized.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: Match.objectLike({
          'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('"username":"taskboard_app"')])]),
        }),
      }),
    });
    synthesized.template.hasResourceProperties('AWS::Serverless::Application', {
      Parameters: Match.objectLike({
        functionName: Match.stringLikeRegexp('AppUserRotation'),
        masterSecretArn: { Ref: synthesized.logicalId(stack.database.masterSecret) },
      }),
    });
    const schedules = resourcesOfType(synthesized.json, 'AWS::SecretsManager::RotationSchedule');
    expect(schedules.map(([, schedule]) => render(schedule.Properties?.SecretId))).toContain(
      `<${synthesized.logicalId(stack.database.appSecret)}>`,
    );
  });

  it('sends no traffic through an RDS Proxy unless asked to', () => {
    synthesized.template.resourceCountIs('AWS::RDS::DBProxy', 0);

    expect(environmentOf(synthesized, synthesized.stack.api.function).DB_HOST).toBeUndefined();
  });

  describe('with useRdsProxy=true and deletionProtection=false', () => {
    let proxied: Synthesized;

    beforeAll(() => {
      proxied = synthesizeTaskboard({ context: { useRdsProxy: 'true', deletionProtection: 'false' } });
    });

    it('puts a TLS-only RDS Proxy, authenticating with the application secret, in front of the instance', () => {
      proxied.template.hasResourceProperties('AWS::RDS::DBProxy', {
        EngineFamily: 'POSTGRESQL',
        RequireTLS: true,
        Auth: [Match.objectLike({ SecretArn: { Ref: proxied.logicalId(proxied.stack.database.appSecret) } })],
      });
    });

    it('points the API function at the proxy and the migration function at the instance', () => {
      const { stack } = proxied;
      if (!stack.database.proxy) throw new Error('no proxy');
      const proxy = proxied.logicalId(stack.database.proxy);
      const instance = proxied.logicalId(stack.database.instance);

      expect(environmentOf(proxied, stack.api.function).DB_HOST).toEqual({ 'Fn::GetAtt': [proxy, 'Endpoint'] });
      expect(environmentOf(proxied, stack.migrations.function).DB_HOST).toEqual({
        'Fn::GetAtt': [instance, 'Endpoint.Address'],
      });
    });

    it('admits the API function to the proxy, and the proxy to the instance', () => {
      const { stack } = proxied;
      if (!stack.database.proxy) throw new Error('no proxy');
      const proxyGroup = stack.database.proxy.connections.securityGroups[0];
      if (!proxyGroup) throw new Error('no proxy security group');

      expect(ingressInto(proxied, proxyGroup).map(([source]) => source)).toEqual([
        groupIdOf(proxied, stack.api.function),
      ]);
      expect(ingressInto(proxied, stack.database.securityGroup).map(([source]) => source)).toContain(
        groupIdOf(proxied, proxyGroup),
      );
    });

    it('switches deletion protection off', () => {
      proxied.template.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: false });
    });

    it('still passes cdk-nag', () => {
      expect(proxied.nag.violations).toEqual([]);
    });
  });
});
