/**
 * How the functions reach Secrets Manager (`secretsAccess`), and the rotations' settings that
 * depend on it and on RDS Proxy.
 */
import { execFileSync } from 'node:child_process';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { estimateCost } from '../../infra/cost.ts';
import { readSettings, SettingsError } from '../../infra/settings.ts';
import {
  dependsOn,
  environmentOf,
  propertyOf,
  render,
  resourcesOfType,
  type Synthesized,
  synthesizeTaskboard,
} from './support/synthesize.ts';

const houseFunctions = (synthesized: Synthesized) => {
  const { stack } = synthesized;
  return [stack.api.function, stack.migrations.function, stack.sweep.function];
};

/** The SAR applications of the rotations, by rotation name. */
const rotationApplications = (synthesized: Synthesized) => {
  const { database } = synthesized.stack;
  return {
    MasterRotation: synthesized.json.Resources[synthesized.logicalId(database.masterRotation)],
    AppUserRotation: synthesized.json.Resources[synthesized.logicalId(database.appRotation)],
  };
};

/** Every security group rule to or from an address range, as `direction protocol from-to range`. */
const rangeRules = (synthesized: Synthesized): string[] => {
  const rules: string[] = [];
  const describe = (direction: string, rule: Record<string, unknown>) => {
    const range = rule.CidrIp ?? rule.CidrIpv6;
    // CDK's marker for a group with no egress at all: ICMP 252-86 to 255.255.255.255/32 matches nothing.
    if (range === '255.255.255.255/32' && rule.IpProtocol === 'icmp') return;
    if (range !== undefined) {
      rules.push(
        `${direction} ${render(rule.IpProtocol)} ${render(rule.FromPort)}-${render(rule.ToPort)} ${render(range)}`,
      );
    }
  };
  for (const [, group] of resourcesOfType(synthesized.json, 'AWS::EC2::SecurityGroup')) {
    for (const rule of (group.Properties?.SecurityGroupIngress ?? []) as Record<string, unknown>[])
      describe('in', rule);
    for (const rule of (group.Properties?.SecurityGroupEgress ?? []) as Record<string, unknown>[])
      describe('out', rule);
  }
  for (const [, rule] of resourcesOfType(synthesized.json, 'AWS::EC2::SecurityGroupIngress')) {
    describe('in', rule.Properties ?? {});
  }
  for (const [, rule] of resourcesOfType(synthesized.json, 'AWS::EC2::SecurityGroupEgress')) {
    describe('out', rule.Properties ?? {});
  }
  return rules;
};

describe('secretsAccess=ipv6 (the dev default)', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
  });

  it('is what dev chooses, and prod keeps the interface endpoint', () => {
    const settings = (context: Record<string, unknown>) => readSettings(new App({ context }).node);

    expect(synthesized.stack.settings.secretsAccess).toBe('ipv6');
    expect(settings({ profile: 'prod' }).secretsAccess).toBe('endpoint');
  });

  it('makes the subnets dual-stack and routes only IPv6, only outwards, through an egress-only gateway', () => {
    const routes = resourcesOfType(synthesized.json, 'AWS::EC2::Route').map(([, route]) => route.Properties ?? {});
    const [[gatewayId] = []] = resourcesOfType(synthesized.json, 'AWS::EC2::EgressOnlyInternetGateway');

    synthesized.template.resourceCountIs('AWS::EC2::VPCCidrBlock', 1);
    for (const [id, subnet] of resourcesOfType(synthesized.json, 'AWS::EC2::Subnet')) {
      expect(subnet.Properties?.Ipv6CidrBlock, id).toBeDefined();
      expect(subnet.Properties?.MapPublicIpOnLaunch, id).toBe(false);
    }
    expect(routes).toHaveLength(2);
    for (const route of routes) {
      expect(route).toMatchObject({
        DestinationIpv6CidrBlock: '::/0',
        EgressOnlyInternetGatewayId: { Ref: gatewayId },
      });
      expect(route.DestinationCidrBlock).toBeUndefined();
    }
    synthesized.template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    synthesized.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    synthesized.template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  it('keeps the flow logs of all traffic', () => {
    synthesized.template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
  });

  it('lets security groups open nothing to an address range but TCP 443 out over IPv6', () => {
    const rules = rangeRules(synthesized);

    expect(rules.length).toBeGreaterThan(0);
    expect(new Set(rules)).toEqual(new Set(['out tcp 443-443 ::/0']));
  });

  it('lets the API, migration and sweep functions send IPv6, each allowed 443 out over IPv6', () => {
    for (const fn of houseFunctions(synthesized)) {
      const vpcConfig = propertyOf(synthesized, fn, 'VpcConfig') as { Ipv6AllowedForDualStack?: boolean };
      const group = synthesized.logicalId(fn.connections.securityGroups[0] ?? fn);
      const inline = (synthesized.json.Resources[group]?.Properties?.SecurityGroupEgress ?? []) as Record<
        string,
        unknown
      >[];
      const egress = [
        ...inline,
        ...resourcesOfType(synthesized.json, 'AWS::EC2::SecurityGroupEgress')
          .map(([, rule]) => rule.Properties ?? {})
          .filter((rule) => render(rule.GroupId) === `<${group}.GroupId>`),
      ].filter((rule) => rule.CidrIpv6 === '::/0');

      expect(vpcConfig.Ipv6AllowedForDualStack, fn.node.path).toBe(true);
      expect(egress, fn.node.path).toEqual([
        expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
    }
  });

  it('makes Node.js in each function prefer IPv6 addresses (what NODE_OPTIONS gives the runtime), not the SDK’s dual-stack names', () => {
    for (const fn of houseFunctions(synthesized)) {
      const environment = environmentOf(synthesized, fn);
      const nodeOptions = String(environment.NODE_OPTIONS);

      const order = execFileSync(
        process.execPath,
        ['-e', 'process.stdout.write(require("dns").getDefaultResultOrder())'],
        {
          env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions },
          encoding: 'utf8',
        },
      );

      expect(order, fn.node.path).toBe('ipv6first');
      expect(nodeOptions).toContain('--enable-source-maps');
      expect(environment.AWS_USE_DUALSTACK_ENDPOINT, fn.node.path).toBeUndefined();
    }
  });

  it('lets the rotation functions send IPv6 before their secrets’ first rotation, calling the ordinary regional name', () => {
    const { database } = synthesized.stack;
    const allowIpv6 = resourcesOfType(synthesized.json, 'Custom::AWS');

    expect(database.rotationIpv6).toHaveLength(2);
    for (const custom of database.rotationIpv6) {
      const id = synthesized.logicalId(custom.node.findChild('Resource'));
      const create = JSON.parse(render(synthesized.json.Resources[id]?.Properties?.Create)) as Record<string, unknown>;
      expect(JSON.stringify(create)).toContain('"Ipv6AllowedForDualStack":true');
      expect(create).toMatchObject({ service: 'Lambda', action: 'updateFunctionConfiguration' });
      expect(allowIpv6.map(([customId]) => customId)).toContain(id);
    }
    for (const [name, secret] of [
      ['MasterRotation', database.masterSecret],
      ['AppUserRotation', database.appSecret],
    ] as const) {
      const schedule = synthesized.json.Resources[synthesized.logicalId(secret.node.findChild('RotationSchedule'))];
      expect(
        dependsOn(schedule ?? { Type: '' }).some((dependency) => dependency.includes('AllowIpv6')),
        name,
      ).toBe(true);
    }
    for (const [name, application] of Object.entries(rotationApplications(synthesized))) {
      const parameters = application?.Properties?.Parameters as Record<string, unknown>;
      expect(render(parameters.endpoint), name).toBe('https://secretsmanager.<AWS::Region>.<AWS::URLSuffix>');
    }
  });

  it('passes cdk-nag', () => {
    expect(synthesized.nag.violations).toEqual([]);
  });

  it('idles under the $20 budget at list price, and at most $5 with the legacy free tier', () => {
    const estimate = estimateCost(synthesized.json);

    expect(estimate.idle.map((line) => line.item)).not.toContainEqual(expect.stringMatching(/^Interface endpoint/));
    expect(estimate.idleUsd).toBeLessThan(20);
    expect(estimate.idleFreeTierUsd).toBeLessThanOrEqual(5);
  });
});

describe('secretsAccess=endpoint', () => {
  it('has no IPv6, no route and no egress to a range: only the endpoint, whose name the rotations get from private DNS', () => {
    const synthesized = synthesizeTaskboard({ context: { secretsAccess: 'endpoint' } });

    synthesized.template.resourceCountIs('AWS::EC2::VPCCidrBlock', 0);
    synthesized.template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 0);
    synthesized.template.resourceCountIs('AWS::EC2::Route', 0);
    synthesized.template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    expect(rangeRules(synthesized)).toEqual([]);
    for (const fn of houseFunctions(synthesized)) {
      expect(String(environmentOf(synthesized, fn).NODE_OPTIONS)).not.toContain('ipv6first');
    }
    for (const [name, application] of Object.entries(rotationApplications(synthesized))) {
      const parameters = application?.Properties?.Parameters as Record<string, unknown>;
      expect(render(parameters.endpoint), name).toBe('https://secretsmanager.<AWS::Region>.<AWS::URLSuffix>');
    }
    expect(synthesized.nag.violations).toEqual([]);
  });

  it('is required by RDS Proxy, which reads its secret over IPv4: the default with the proxy, and ipv6 is refused', () => {
    const settings = (context: Record<string, unknown>) => () => readSettings(new App({ context }).node);

    expect(settings({ useRdsProxy: 'true' })().secretsAccess).toBe('endpoint');
    expect(settings({ useRdsProxy: 'true', secretsAccess: 'ipv6' })).toThrow(SettingsError);
    expect(settings({ useRdsProxy: 'true', secretsAccess: 'ipv6' })).toThrow(/secretsAccess/);
    expect(settings({ secretsAccess: 'ipv4' })).toThrow(/secretsAccess/);
  });
});

describe('behind RDS Proxy (prod)', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ context: { profile: 'prod' } });
  });

  it('rotates the application secret single-user, so the user the proxy knows never changes', () => {
    const { AppUserRotation, MasterRotation } = rotationApplications(synthesized);
    const location = (application: typeof AppUserRotation) =>
      JSON.stringify(((application?.Properties?.Location ?? {}) as { ApplicationId?: unknown }).ApplicationId);
    const mappings = JSON.stringify((synthesized.json as unknown as { Mappings: unknown }).Mappings);

    expect(synthesized.stack.database.appRotationScheme).toBe('single');
    expect(
      ((AppUserRotation?.Properties?.Parameters ?? {}) as Record<string, unknown>).masterSecretArn,
    ).toBeUndefined();
    expect(location(AppUserRotation)).toContain('SARMapping');
    expect(mappings).toContain('SecretsManagerRDSPostgreSQLRotationSingleUser');
    expect(mappings).not.toContain('SecretsManagerRDSPostgreSQLRotationMultiUser');
    expect(MasterRotation).toBeDefined();
  });

  it('tells the migrations to leave idle sessions to the proxy (no idle_session_timeout)', () => {
    expect(environmentOf(synthesized, synthesized.stack.migrations.function).DB_RECLAIM_IDLE_SESSIONS).toBe('off');
  });

  it('without the proxy (dev), rotates the application secret multi-user and reclaims idle sessions', () => {
    const dev = synthesizeTaskboard();

    expect(dev.stack.database.appRotationScheme).toBe('multi');
    expect(JSON.stringify((dev.json as unknown as { Mappings: unknown }).Mappings)).toContain(
      'SecretsManagerRDSPostgreSQLRotationMultiUser',
    );
    expect(environmentOf(dev, dev.stack.migrations.function).DB_RECLAIM_IDLE_SESSIONS).toBe('on');
  });
});
