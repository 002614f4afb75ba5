import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { estimateCost } from '../../infra/cost.ts';
import { connectionBudget } from '../../infra/settings.ts';
import {
  dependsOn,
  environmentOf,
  propertyOf,
  render,
  resourcesOfType,
  type Synthesized,
  synthesizeTaskboard,
} from './support/synthesize.ts';

const expectations = {
  dev: {
    multiAz: false,
    deletionProtection: false,
    deletionPolicy: 'Delete',
    deleteAutomatedBackups: true,
    retentionDays: 7,
    /** dev reaches Secrets Manager over IPv6: no endpoint. */
    endpointSubnets: 0,
    webAcls: 0,
    proxy: false,
    reservedConcurrency: connectionBudget('t4g.micro'),
    /** The cost table of guides/deploying.md ("Cost"): `npm run cost` on this template. */
    idleUsd: 17.98,
    idleFreeTierUsd: 3,
    perMillionUsd: 7.37,
  },
  prod: {
    multiAz: true,
    deletionProtection: true,
    deletionPolicy: 'Snapshot',
    deleteAutomatedBackups: false,
    retentionDays: 90,
    endpointSubnets: 2,
    webAcls: 2,
    proxy: true,
    reservedConcurrency: connectionBudget('t4g.small'),
    idleUsd: 106.82,
    idleFreeTierUsd: 102.82,
    perMillionUsd: 8.57,
  },
} as const;

describe.each(['dev', 'prod'] as const)('profile %s', (profile) => {
  const expected = expectations[profile];
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ context: { profile } });
  });

  it(`RDS: Multi-AZ ${expected.multiAz}, deletion protection ${expected.deletionProtection}, on delete ${expected.deletionPolicy}`, () => {
    const [[, instance] = []] = resourcesOfType(synthesized.json, 'AWS::RDS::DBInstance');
    const resource = instance as unknown as { DeletionPolicy?: string; Properties: Record<string, unknown> };

    expect(resource.Properties).toMatchObject({
      MultiAZ: expected.multiAz,
      DeletionProtection: expected.deletionProtection,
      DeleteAutomatedBackups: expected.deleteAutomatedBackups,
    });
    expect(resource.DeletionPolicy).toBe(expected.deletionPolicy);
  });

  it(`keeps every log group ${expected.retentionDays} days`, () => {
    for (const [id, group] of resourcesOfType(synthesized.json, 'AWS::Logs::LogGroup')) {
      expect(group.Properties?.RetentionInDays, id).toBe(expected.retentionDays);
    }
    for (const [id, retention] of resourcesOfType(synthesized.json, 'Custom::LogRetention')) {
      expect(retention.Properties?.RetentionInDays, id).toBe(expected.retentionDays);
    }
  });

  it(`puts the Secrets Manager endpoint in ${expected.endpointSubnets} availability zone(s)`, () => {
    const endpoints = resourcesOfType(synthesized.json, 'AWS::EC2::VPCEndpoint');

    expect(endpoints.map(([, endpoint]) => ((endpoint.Properties?.SubnetIds ?? []) as unknown[]).length)).toEqual(
      expected.endpointSubnets ? [expected.endpointSubnets] : [],
    );
  });

  it('sets the API function’s reserved concurrency to the connection budget of the instance class', () => {
    const { stack } = synthesized;

    expect(expected.reservedConcurrency).toBeGreaterThan(0);
    expect(propertyOf(synthesized, stack.api.function, 'ReservedConcurrentExecutions')).toBe(
      expected.reservedConcurrency,
    );
    expect(propertyOf(synthesized, stack.sweep.function, 'ReservedConcurrentExecutions')).toBe(1);
    expect(environmentOf(synthesized, stack.api.function).METRICS).toBe('emf');
  });

  it(
    expected.proxy ? 'connects the API through RDS Proxy, whose pool is the connection budget' : 'has no RDS Proxy',
    () => {
      const { stack } = synthesized;
      const proxies = resourcesOfType(synthesized.json, 'AWS::RDS::DBProxy');
      if (!expected.proxy) {
        expect(proxies).toEqual([]);
        expect(environmentOf(synthesized, stack.api.function).DB_HOST).toBeUndefined();
        return;
      }
      const [[proxyId] = []] = proxies;
      const [[, targetGroup] = []] = resourcesOfType(synthesized.json, 'AWS::RDS::DBProxyTargetGroup');

      expect(environmentOf(synthesized, stack.api.function).DB_HOST).toEqual({ 'Fn::GetAtt': [proxyId, 'Endpoint'] });
      expect(targetGroup?.Properties?.ConnectionPoolConfigurationInfo).toMatchObject({
        MaxConnectionsPercent: Math.floor((100 * (expected.reservedConcurrency ?? 0)) / 168),
      });
    },
  );

  it(
    expected.webAcls ? 'puts a WAF rate-based rule on CloudFront (in us-east-1) and on the API stage' : 'has no WAF',
    () => {
      const { stack } = synthesized;
      const acls = resourcesOfType(synthesized.json, 'AWS::WAFv2::WebACL');
      expect(acls).toHaveLength(expected.webAcls);
      if (!expected.webAcls) return;

      for (const [id, acl] of acls) {
        expect(acl.Properties?.Rules, id).toEqual([
          expect.objectContaining({
            Action: { Block: {} },
            Statement: {
              // The stage's counts only requests without CloudFront's header (test/infra/real-account.test.ts).
              RateBasedStatement: expect.objectContaining({
                Limit: 2000,
                AggregateKeyType: 'IP',
                EvaluationWindowSec: 300,
              }),
            },
          }),
        ]);
      }
      expect(acls.map(([, acl]) => acl.Properties?.Scope).sort()).toEqual(['CLOUDFRONT', 'REGIONAL']);
      synthesized.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: {
          'Fn::GetAtt': [synthesized.logicalId(stack.api.webAcl as NonNullable<typeof stack.api.webAcl>), 'Arn'],
        },
      });
      const association = resourcesOfType(synthesized.json, 'AWS::WAFv2::WebACLAssociation')[0]?.[1];
      expect(render(association?.Properties?.ResourceArn)).toContain(
        `/restapis/<${synthesized.logicalId(stack.api.restApi)}>/stages/`,
      );
      const distribution = propertyOf(synthesized, stack.edge.distribution, 'DistributionConfig') as {
        WebACLId?: unknown;
      };
      const cloudFrontAcl = synthesized.logicalId(stack.edge.webAcl as NonNullable<typeof stack.edge.webAcl>);
      expect(distribution.WebACLId).toEqual({
        'Fn::If': [
          synthesized.logicalId(stack.edge.inUsEast1),
          { 'Fn::GetAtt': [cloudFrontAcl, 'Arn'] },
          { Ref: 'AWS::NoValue' },
        ],
      });
      expect((synthesized.json.Resources[cloudFrontAcl] as { Condition?: string }).Condition).toBe(
        synthesized.logicalId(stack.edge.inUsEast1),
      );
    },
  );

  it(`creates API Gateway’s execution log group, kept ${expected.retentionDays} days, before the stage`, () => {
    const { stack } = synthesized;
    const groupId = synthesized.logicalId(stack.api.executionLogs);
    const stage = synthesized.json.Resources[synthesized.logicalId(stack.api.stage)];

    expect(synthesized.json.Resources[groupId]?.Properties?.RetentionInDays).toBe(expected.retentionDays);
    expect(dependsOn(stage ?? { Type: '' })).toContain(groupId);
  });

  it('runs the migrations after the way to Secrets Manager (endpoint or IPv6 routes) and the migration function’s egress rules', () => {
    const { stack } = synthesized;
    const [[, trigger] = []] = resourcesOfType(synthesized.json, 'Custom::Trigger');
    const migrationGroup = synthesized.logicalId(stack.migrations.function.connections.securityGroups[0] ?? stack);
    const egress = resourcesOfType(synthesized.json, 'AWS::EC2::SecurityGroupEgress').filter(
      ([, rule]) => render(rule.Properties?.GroupId) === `<${migrationGroup}.GroupId>`,
    );

    // To PostgreSQL, and to Secrets Manager's endpoint (a rule here) or over IPv6 (inline in the group).
    expect(egress).toHaveLength(expected.endpointSubnets ? 2 : 1);
    expect(stack.network.secretsManagerPath.length).toBeGreaterThan(0);
    expect(dependsOn(trigger ?? { Type: '' })).toEqual(
      expect.arrayContaining([
        ...stack.network.secretsManagerPath.map((construct) => synthesized.logicalId(construct)),
        ...egress.map(([id]) => id),
      ]),
    );
  });

  it('costs what the deploying guide’s cost table says, counted from the template’s resources', () => {
    const estimate = estimateCost(synthesized.json);
    const items = estimate.idle.map((line) => line.item);

    expect(items.filter((item) => item.startsWith('Interface endpoint'))).toEqual(
      expected.endpointSubnets ? [`Interface endpoint × ${expected.endpointSubnets} AZ`] : [],
    );
    expect(items.some((item) => item.startsWith('RDS Proxy'))).toBe(expected.proxy);
    expect(items.some((item) => item.startsWith('WAF'))).toBe(expected.webAcls > 0);
    expect({
      idle: estimate.idleUsd,
      idleFreeTier: estimate.idleFreeTierUsd,
      perMillion: estimate.perMillionUsd,
    }).toEqual({
      idle: expected.idleUsd,
      idleFreeTier: expected.idleFreeTierUsd,
      perMillion: expected.perMillionUsd,
    });
  });

  it('sweeps expired idempotency keys hourly, after the migrations, with the application secret only', () => {
    const { stack } = synthesized;
    const rule = synthesized.json.Resources[synthesized.logicalId(stack.sweep.schedule)];
    const [[triggerId] = []] = resourcesOfType(synthesized.json, 'Custom::Trigger');
    const policies = resourcesOfType(synthesized.json, 'AWS::IAM::Policy').filter(([, policy]) =>
      ((policy.Properties?.Roles ?? []) as unknown[]).some(
        (role) => render(role) === `<${synthesized.logicalId(stack.sweep.function.executionRole)}>`,
      ),
    );
    const statements = policies.flatMap(
      ([, policy]) =>
        ((policy.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Record<string, unknown>[] })
          .Statement,
    );
    const secretReads = statements.filter((statement) =>
      [statement.Action].flat().includes('secretsmanager:GetSecretValue'),
    );

    expect(rule?.Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    expect(render(((rule?.Properties?.Targets ?? []) as { Arn: unknown }[])[0]?.Arn)).toBe(
      `<${synthesized.logicalId(stack.sweep.function)}.Arn>`,
    );
    expect(dependsOn(rule ?? { Type: '' })).toContain(triggerId);
    expect(secretReads.map((statement) => render(statement.Resource))).toEqual([
      `<${synthesized.logicalId(stack.database.appSecret)}>`,
    ]);
    expect(environmentOf(synthesized, stack.sweep.function).DB_HOST).toEqual({
      'Fn::GetAtt': [synthesized.logicalId(stack.database.instance), 'Endpoint.Address'],
    });
    expect(propertyOf(synthesized, stack.sweep.function, 'VpcConfig')).toBeDefined();
  });
});

describe('options', () => {
  it('budgetUsd sets the budget; an individual flag overrides the profile', () => {
    const synthesized = synthesizeTaskboard({ context: { profile: 'prod', budgetUsd: '75', waf: 'false' } });

    synthesized.template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({ BudgetLimit: { Amount: 75, Unit: 'USD' } }),
    });
    synthesized.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    synthesized.template.resourceCountIs('AWS::RDS::DBProxy', 1);
    expect(synthesized.nag.violations).toEqual([]);
  });
});

describe.each(['dev', 'prod'] as const)('options on profile %s', (profile) => {
  it('sesFromEmail sends Cognito’s email through SES from that identity', () => {
    const synthesized = synthesizeTaskboard({
      context: {
        profile,
        sesFromEmail: 'no-reply@example.com',
        sesRegion: 'us-east-1',
        sesConfigurationSet: 'taskboard',
      },
    });

    synthesized.template.hasResourceProperties('AWS::Cognito::UserPool', {
      EmailConfiguration: {
        EmailSendingAccount: 'DEVELOPER',
        From: 'no-reply@example.com',
        ConfigurationSet: 'taskboard',
        SourceArn: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([':ses:us-east-1:', ':identity/no-reply@example.com'])],
        }),
      },
    });
  });

  it('domainName with a hosted zone issues a DNS-validated certificate and points A and AAAA aliases at CloudFront', () => {
    const synthesized = synthesizeTaskboard({
      context: {
        profile,
        domainName: 'api.example.com',
        hostedZoneId: 'Z0123456789ABC',
        hostedZoneName: 'example.com',
      },
    });
    const distribution = propertyOf(synthesized, synthesized.stack.edge.distribution, 'DistributionConfig') as Record<
      string,
      { AcmCertificateArn?: unknown; MinimumProtocolVersion?: string } | string[]
    >;

    synthesized.template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'api.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'api.example.com', HostedZoneId: 'Z0123456789ABC' }],
    });
    expect(distribution.Aliases).toEqual(['api.example.com']);
    expect(distribution.ViewerCertificate).toMatchObject({ MinimumProtocolVersion: 'TLSv1.2_2021' });
    for (const type of ['A', 'AAAA']) {
      synthesized.template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'api.example.com.',
        Type: type,
        HostedZoneId: 'Z0123456789ABC',
      });
    }
    expect(render(synthesized.json.Outputs?.CloudFrontUrl?.Value)).toBe('https://api.example.com/');
    expect(synthesized.nag.violations).toEqual([]);
  });

  it('domainName with certificateArn uses that certificate and creates no DNS record', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-1111-2222-333344445555';
    const synthesized = synthesizeTaskboard({ context: { profile, domainName: 'api.example.com', certificateArn } });
    const distribution = propertyOf(synthesized, synthesized.stack.edge.distribution, 'DistributionConfig') as {
      ViewerCertificate: { AcmCertificateArn: string };
    };

    expect(distribution.ViewerCertificate.AcmCertificateArn).toBe(certificateArn);
    synthesized.template.resourceCountIs('AWS::Route53::RecordSet', 0);
    synthesized.template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
  });
});
