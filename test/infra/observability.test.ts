import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricNames } from '../../handlers/runtime/metrics.ts';
import { thresholds } from '../../infra/constructs/observability.ts';
import { render, resourcesOfType, type Synthesized, synthesizeTaskboard } from './support/synthesize.ts';

type Alarm = Record<string, unknown> & { Dimensions?: { Name: string; Value: unknown }[] };

const alarms = (synthesized: Synthesized): Alarm[] =>
  resourcesOfType(synthesized.json, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties as Alarm);

const alarmOn = (synthesized: Synthesized, namespace: string, metric: string, dimension?: string): Alarm[] =>
  alarms(synthesized).filter(
    (alarm) =>
      alarm.Namespace === namespace &&
      alarm.MetricName === metric &&
      (dimension === undefined || alarm.Dimensions?.some((d) => render(d.Value) === dimension)),
  );

describe.each(['dev', 'prod'])('Observability (profile %s)', (profile) => {
  let synthesized: Synthesized;
  let shown: Synthesized | undefined;
  /** The stack with its dashboard: prod has one by default, dev only with `-c dashboard=true` (synthesized once). */
  const withDashboard = (): Synthesized => {
    shown ??= profile === 'dev' ? synthesizeTaskboard({ context: { profile, dashboard: 'true' } }) : synthesized;
    return shown;
  };
  const dashboardBody = (): string => {
    const [[, dashboard] = []] = resourcesOfType(withDashboard().json, 'AWS::CloudWatch::Dashboard');
    return render(dashboard?.Properties?.DashboardBody);
  };

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ context: { profile, alarmEmail: 'oncall@example.com' } });
  });

  it('sends every alarm, and its recovery, to the alarm topic', () => {
    const topic = `<${synthesized.logicalId(synthesized.stack.observability.alarmTopic)}>`;

    // API 5xx, latency; errors and throttles of 3 functions; 2 rotations; concurrency; database CPU,
    // storage, connections, freeable memory, CPU credits (both profiles are t-class); CloudFront 5xx.
    expect(alarms(synthesized)).toHaveLength(2 + 6 + 2 + 1 + 5 + 1);
    for (const alarm of alarms(synthesized)) {
      expect((alarm.AlarmActions as unknown[]).map(render)).toEqual([topic]);
      expect((alarm.OKActions as unknown[]).map(render)).toEqual([topic]);
    }
  });

  it('encrypts the alarm topic with a rotating key CloudWatch and Budgets may use, and refuses publishing without TLS', () => {
    const key = synthesized.logicalId(synthesized.stack.observability.alarmTopicKey);
    const keyPolicy = synthesized.json.Resources[key]?.Properties?.KeyPolicy as {
      Statement: { Principal?: { Service?: string | string[] }; Action?: string | string[] }[];
    };
    const services = keyPolicy.Statement.filter(
      (statement) => JSON.stringify(statement.Action) === JSON.stringify(['kms:Decrypt', 'kms:GenerateDataKey*']),
    ).flatMap((statement) => [statement.Principal?.Service ?? []].flat());

    synthesized.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    synthesized.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(services.sort()).toEqual(['budgets.amazonaws.com', 'cloudwatch.amazonaws.com']);
    synthesized.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'budgets.amazonaws.com' }, Action: 'sns:Publish' }),
        ]),
      },
    });
  });

  it('deletes the topic key with the stack only in dev (prod keeps it: it costs $1 a month until deleted)', () => {
    const key = synthesized.json.Resources[synthesized.logicalId(synthesized.stack.observability.alarmTopicKey)] as {
      DeletionPolicy?: string;
      Properties?: Record<string, unknown>;
    };

    expect(key.DeletionPolicy).toBe(profile === 'dev' ? 'Delete' : 'Retain');
  });

  it('subscribes alarmEmail to the topic', () => {
    synthesized.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('has a monthly $20 cost budget with actual (80%, 100%) and forecast (100%) alerts to the topic and alarmEmail', () => {
    const topic = { Ref: synthesized.logicalId(synthesized.stack.observability.alarmTopic) };
    const subscribers = [
      { SubscriptionType: 'SNS', Address: topic },
      { SubscriptionType: 'EMAIL', Address: 'oncall@example.com' },
    ];

    synthesized.template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: { BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 20, Unit: 'USD' } },
      NotificationsWithSubscribers: [80, 100]
        .map((threshold) => ({
          Notification: Match.objectLike({ NotificationType: 'ACTUAL', Threshold: threshold }),
          Subscribers: subscribers,
        }))
        .concat([
          {
            Notification: Match.objectLike({ NotificationType: 'FORECASTED', Threshold: 100 }),
            Subscribers: subscribers,
          },
        ]),
    });
  });

  it('alarms on the API’s 5xx rate and p99 latency', () => {
    const api5xx = alarms(synthesized).find((alarm) =>
      (alarm.Metrics as { Expression?: string }[] | undefined)?.some((m) => m.Expression?.includes('errors')),
    );
    const latency = alarmOn(synthesized, 'AWS/ApiGateway', 'Latency');

    expect(api5xx?.Threshold).toBe(5);
    expect(latency).toHaveLength(1);
    expect(latency[0]?.ExtendedStatistic).toBe('p99');
  });

  it('alarms on errors and throttles of each function, the sweep included', () => {
    const { stack } = synthesized;
    for (const fn of [stack.api.function, stack.migrations.function, stack.sweep.function]) {
      const name = `<${synthesized.logicalId(fn)}>`;

      expect(alarmOn(synthesized, 'AWS/Lambda', 'Errors', name), name).toHaveLength(1);
      expect(alarmOn(synthesized, 'AWS/Lambda', 'Throttles', name), name).toHaveLength(1);
    }
  });

  it('alarms on failed rotations (errors of both rotation functions)', () => {
    for (const functionName of Object.values(synthesized.stack.database.rotationFunctionNames)) {
      expect(alarmOn(synthesized, 'AWS/Lambda', 'Errors', functionName), functionName).toHaveLength(1);
    }
    expect(Object.keys(synthesized.stack.database.rotationFunctionNames)).toHaveLength(2);
  });

  it('alarms at 80% of the API function’s reserved concurrency', () => {
    const name = `<${synthesized.logicalId(synthesized.stack.api.function)}>`;
    const [alarm] = alarmOn(synthesized, 'AWS/Lambda', 'ConcurrentExecutions', name);

    expect(alarm?.Threshold).toBe(Math.floor(synthesized.stack.settings.apiReservedConcurrency * 0.8));
  });

  it('alarms on the database’s CPU, CPU credits, freeable memory, free storage and connections', () => {
    const instance = `<${synthesized.logicalId(synthesized.stack.database.instance)}>`;

    for (const metric of [
      'CPUUtilization',
      'CPUCreditBalance',
      'FreeableMemory',
      'FreeStorageSpace',
      'DatabaseConnections',
    ]) {
      expect(alarmOn(synthesized, 'AWS/RDS', metric, instance), metric).toHaveLength(1);
    }
    const [connections] = alarmOn(synthesized, 'AWS/RDS', 'DatabaseConnections', instance);
    expect(connections?.Threshold).toBe(profile === 'dev' ? Math.floor(84 * 0.8) : Math.floor(168 * 0.8));
    const [memory] = alarmOn(synthesized, 'AWS/RDS', 'FreeableMemory', instance);
    const memoryGiB = profile === 'dev' ? 1 : 2;
    expect(memory?.Threshold).toBe(
      Math.round((memoryGiB * 1024 ** 3 * thresholds.databaseFreeableMemoryPercent) / 100),
    );
  });

  it('alarms on CloudFront’s 5xx rate, created only where CloudFront’s metrics are (us-east-1)', () => {
    const id = synthesized.logicalId(synthesized.stack.observability.cloudFront5xxAlarm);
    const alarm = synthesized.json.Resources[id] as { Condition?: string; Properties: Alarm };
    const condition = (synthesized.json as unknown as { Conditions: Record<string, unknown> }).Conditions[
      alarm.Condition ?? ''
    ];

    expect(alarm.Properties).toMatchObject({ Namespace: 'AWS/CloudFront', MetricName: '5xxErrorRate', Threshold: 5 });
    expect(condition).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
  });

  it('has a dashboard (dev: only with dashboard=true) that shows the API’s EMF metrics (503 causes, replays, 412s, cold starts) and the stage’s 4xx and 5xx', () => {
    const dashboards = resourcesOfType(synthesized.json, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(profile === 'prod' ? 1 : 0);
    const body = dashboardBody();

    // Every counter the runtime can emit, so a new one must be put on the dashboard.
    for (const metric of metricNames) {
      expect(body).toContain(
        `"Taskboard","${metric}","FunctionName","<${withDashboard().logicalId(withDashboard().stack.api.function)}>"`,
      );
    }
    for (const metric of ['Count', '4XXError', '5XXError']) expect(body).toContain(`"AWS/ApiGateway","${metric}"`);
  });

  it('shows contention (a busy row, retryable) apart from an unavailable database, in one 503 widget', () => {
    const body = dashboardBody();
    const widgets = (JSON.parse(body) as { widgets: Array<{ properties: { title?: string; metrics?: unknown[] } }> })
      .widgets;

    const causes = widgets.find((widget) => widget.properties.title?.startsWith('503 causes'));
    const labels = (causes?.properties.metrics ?? []).map((metric) => JSON.stringify(metric));

    expect(labels.some((metric) => metric.includes('"ServiceUnavailableDatabase"'))).toBe(true);
    expect(labels.some((metric) => metric.includes('"ServiceUnavailableContention"'))).toBe(true);
    expect(labels.find((metric) => metric.includes('"ServiceUnavailableContention"'))).toContain('contention');
  });
});

describe('without alarmEmail', () => {
  it('warns at synth that nobody will receive the alarms and budget alerts', () => {
    const synthesized = synthesizeTaskboard();

    Annotations.fromStack(synthesized.stack).hasWarning('*', Match.stringLikeRegexp('alarmEmail is not set'));
    synthesized.template.resourceCountIs('AWS::SNS::Subscription', 0);
    synthesized.template.hasResourceProperties('AWS::Budgets::Budget', {
      NotificationsWithSubscribers: Match.arrayWith([
        Match.objectLike({ Subscribers: [Match.objectLike({ SubscriptionType: 'SNS' })] }),
      ]),
    });
  });
});

describe('Outputs', () => {
  it('prints the URLs, the Cognito ids, the hosted-UI domain and the secret ARNs', () => {
    const synthesized = synthesizeTaskboard();

    expect(Object.keys(synthesized.json.Outputs ?? {}).sort()).toEqual(
      [
        'AlarmTopicArn',
        'ApiUrl',
        'AppDatabaseSecretArn',
        'AppUrl',
        'CloudFrontUrl',
        'DocsUrl',
        'HostedUiDomain',
        'MasterDatabaseSecretArn',
        'OriginVerifySecretArn',
        'UserPoolClientId',
        'UserPoolId',
      ].sort(),
    );
    expect(synthesized.json.Outputs?.ApiUrl?.Description).toMatch(/401 on secured routes.*404 on unknown paths.*403/);
  });
});
