/**
 * What the stack needs to work in a real AWS account, beyond a template that synthesizes: alarms that
 * reach someone, a WAF that limits clients rather than CloudFront's edges, names that do not collide
 * on an update or in a second region, deploys on new accounts, a certificate region checked up front,
 * CloudFront metrics read where they exist, and a budget of this stack's costs only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { costAllocationTag } from '../../infra/taskboard-stack.ts';
import { propertyOf, render, resourcesOfType, type Synthesized, synthesizeTaskboard } from './support/synthesize.ts';

type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: unknown; Condition?: unknown };

const topicStatements = (synthesized: Synthesized): Statement[] =>
  resourcesOfType(synthesized.json, 'AWS::SNS::TopicPolicy').flatMap(
    ([, policy]) => ((policy.Properties?.PolicyDocument ?? { Statement: [] }) as { Statement: Statement[] }).Statement,
  );

const budgetName = (synthesized: Synthesized): string =>
  render(
    (propertyOf(synthesized, synthesized.stack.observability.budget, 'Budget') as { BudgetName: unknown }).BudgetName,
  );

describe.each(['dev', 'prod'] as const)('in a real account (profile %s)', (profile) => {
  let synthesized: Synthesized;
  /** The same stack with its dashboard (dev has none unless asked). */
  let withDashboard: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ context: { profile, alarmEmail: 'oncall@example.com' } });
    withDashboard =
      profile === 'prod'
        ? synthesized
        : synthesizeTaskboard({ context: { profile, alarmEmail: 'oncall@example.com', dashboard: 'true' } });
  });

  it('lets CloudWatch publish this account’s alarms to the topic, whose policy replaces SNS’s default one', () => {
    const cloudWatch = topicStatements(synthesized).filter(
      (statement) => JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );

    expect(cloudWatch).toHaveLength(1);
    expect(cloudWatch[0]).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish' });
    const condition = cloudWatch[0]?.Condition as {
      StringEquals: Record<string, unknown>;
      ArnLike: Record<string, unknown>;
    };
    expect(render(condition.StringEquals['aws:SourceAccount'])).toBe('<AWS::AccountId>');
    expect(render(condition.ArnLike['aws:SourceArn'])).toBe(
      'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*',
    );
  });

  it('names the budget per region and per subscriber set, so adding alarmEmail or a second region creates no clash', () => {
    const withoutEmail = synthesizeTaskboard({ context: { profile } });

    expect(budgetName(synthesized)).toMatch(/^Taskboard-<AWS::Region>-monthly-[0-9a-f]{8}$/);
    expect(budgetName(withoutEmail)).toMatch(/^Taskboard-<AWS::Region>-monthly-[0-9a-f]{8}$/);
    expect(budgetName(withoutEmail)).not.toBe(budgetName(synthesized));
  });

  it('names the dashboard per region (dashboards are global to the account)', () => {
    const dashboards = resourcesOfType(withDashboard.json, 'AWS::CloudWatch::Dashboard');

    expect(dashboards).toHaveLength(1);
    expect(render(dashboards[0]?.[1].Properties?.DashboardName)).toBe('Taskboard-<AWS::Region>');
  });

  it('counts only the costs of this stack in the budget: a cost filter on the tag every resource carries', () => {
    const budget = propertyOf(synthesized, synthesized.stack.observability.budget, 'Budget') as {
      CostFilters: Record<string, string[]>;
    };
    const instance = propertyOf(synthesized, synthesized.stack.database.instance, 'Tags') as unknown[];

    expect(budget.CostFilters).toEqual({ TagKeyValue: [`user:${costAllocationTag}$Taskboard`] });
    expect(instance).toContainEqual({ Key: costAllocationTag, Value: 'Taskboard' });
  });

  it('reads CloudFront’s 5xx rate with Region=Global: the alarm in us-east-1, the dashboard widget from us-east-1', () => {
    const alarm = propertyOf(synthesized, synthesized.stack.observability.cloudFront5xxAlarm, 'Dimensions') as {
      Name: string;
      Value: unknown;
    }[];
    const [[, dashboard] = []] = resourcesOfType(withDashboard.json, 'AWS::CloudWatch::Dashboard');
    const body = render(dashboard?.Properties?.DashboardBody);

    expect(alarm).toContainEqual({ Name: 'Region', Value: 'Global' });
    expect(body).toMatch(
      /"AWS\/CloudFront","5xxErrorRate","DistributionId","<\w+>","Region","Global",\{[^}]*"region":"us-east-1"/,
    );
  });
});

describe('prod’s WAF', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ context: { profile: 'prod' } });
  });

  it('rate-limits on the stage only the requests that lack the value CloudFront sends (its edges share few IPs)', () => {
    const { stack } = synthesized;
    const rules = propertyOf(synthesized, stack.api.webAcl ?? stack, 'Rules') as {
      Statement: { RateBasedStatement: { AggregateKeyType: string; ScopeDownStatement?: unknown } };
    }[];
    const origin = (
      propertyOf(synthesized, stack.edge.distribution, 'DistributionConfig') as {
        Origins: { OriginCustomHeaders: { HeaderName: string; HeaderValue: unknown }[] }[];
      }
    ).Origins[0]?.OriginCustomHeaders[0];

    expect(rules).toHaveLength(1);
    expect(rules[0]?.Statement.RateBasedStatement).toMatchObject({
      AggregateKeyType: 'IP',
      ScopeDownStatement: {
        NotStatement: {
          Statement: {
            ByteMatchStatement: {
              FieldToMatch: { SingleHeader: { Name: 'x-origin-verify' } },
              PositionalConstraint: 'EXACTLY',
              TextTransformations: [{ Priority: 0, Type: 'NONE' }],
            },
          },
        },
      },
    });
    const scopeDown = (rules[0]?.Statement.RateBasedStatement.ScopeDownStatement ?? {}) as {
      NotStatement?: { Statement: { ByteMatchStatement: { SearchString: unknown } } };
    };
    const searchString = scopeDown.NotStatement?.Statement.ByteMatchStatement.SearchString;
    expect(origin?.HeaderName).toBe('X-Origin-Verify');
    expect(render(searchString)).toBe(render(origin?.HeaderValue));
    expect(render(searchString)).toMatch(/^\{\{resolve:secretsmanager:/);
  });

  it('rate-limits real users by their own IP on CloudFront’s web ACL', () => {
    const rules = propertyOf(synthesized, synthesized.stack.edge.webAcl ?? synthesized.stack, 'Rules') as {
      Statement: { RateBasedStatement: Record<string, unknown> };
    }[];

    expect(rules[0]?.Statement.RateBasedStatement).toMatchObject({ AggregateKeyType: 'IP', Limit: 2000 });
    expect(rules[0]?.Statement.RateBasedStatement.ScopeDownStatement).toBeUndefined();
  });
});

describe('on an account with little concurrency', () => {
  it('apiReservedConcurrency=0 and sweepReservedConcurrency=0 reserve nothing; the concurrency alarm keeps the connection budget', () => {
    const synthesized = synthesizeTaskboard({
      context: { apiReservedConcurrency: '0', sweepReservedConcurrency: '0' },
    });
    const { stack } = synthesized;
    const functions = resourcesOfType(synthesized.json, 'AWS::Lambda::Function');
    const concurrencyAlarms = resourcesOfType(synthesized.json, 'AWS::CloudWatch::Alarm').filter(
      ([, alarm]) => alarm.Properties?.MetricName === 'ConcurrentExecutions',
    );

    expect(functions.length).toBeGreaterThan(3);
    for (const [id, fn] of functions) expect(fn.Properties?.ReservedConcurrentExecutions, id).toBeUndefined();
    expect(stack.settings.apiConnectionBudget).toBe(75);
    expect(concurrencyAlarms.map(([, alarm]) => alarm.Properties?.Threshold)).toEqual([Math.floor(75 * 0.8)]);
    expect(synthesized.nag.violations).toEqual([]);
  });
});

describe('a custom domain', () => {
  it('with hostedZoneId, refuses any region but us-east-1 in a template rule, before any resource is created', () => {
    const synthesized = synthesizeTaskboard({
      context: { domainName: 'api.example.com', hostedZoneId: 'Z0123456789ABC', hostedZoneName: 'example.com' },
    });
    const rules = (synthesized.json as unknown as { Rules?: Record<string, { Assertions: unknown[] }> }).Rules ?? {};

    expect(Object.values(rules).flatMap((rule) => rule.Assertions)).toContainEqual({
      Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] },
      AssertDescription: expect.stringContaining('us-east-1'),
    });
  });

  it('with certificateArn (already in us-east-1), deploys in any region', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-1111-2222-333344445555';
    const synthesized = synthesizeTaskboard({ context: { domainName: 'api.example.com', certificateArn } });

    const rules = (synthesized.json as unknown as { Rules?: Record<string, unknown> }).Rules ?? {};

    expect(Object.keys(rules)).toEqual(['CheckBootstrapVersion']);
  });
});
