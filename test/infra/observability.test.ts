import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
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

describe('Observability', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ context: { alarmEmail: 'oncall@example.com' } });
  });

  it('sends every alarm, and its recovery, to the alarm topic', () => {
    const topic = `<${synthesized.logicalId(synthesized.stack.observability.alarmTopic)}>`;

    expect(alarms(synthesized)).toHaveLength(9);
    for (const alarm of alarms(synthesized)) {
      expect((alarm.AlarmActions as unknown[]).map(render)).toEqual([topic]);
      expect((alarm.OKActions as unknown[]).map(render)).toEqual([topic]);
    }
  });

  it('encrypts the alarm topic with a rotating key CloudWatch may use, and refuses publishing without TLS', () => {
    const key = synthesized.logicalId(synthesized.stack.observability.alarmTopicKey);

    synthesized.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    synthesized.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    synthesized.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes alarmEmail to the topic', () => {
    synthesized.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
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

  it('alarms on errors and throttles of each function', () => {
    const { stack } = synthesized;
    for (const fn of [stack.api.function, stack.migrations.function]) {
      const name = `<${synthesized.logicalId(fn)}>`;

      expect(alarmOn(synthesized, 'AWS/Lambda', 'Errors', name), name).toHaveLength(1);
      expect(alarmOn(synthesized, 'AWS/Lambda', 'Throttles', name), name).toHaveLength(1);
    }
  });

  it('alarms on the database’s CPU, free storage and connections', () => {
    const instance = `<${synthesized.logicalId(synthesized.stack.database.instance)}>`;

    for (const metric of ['CPUUtilization', 'FreeStorageSpace', 'DatabaseConnections']) {
      expect(alarmOn(synthesized, 'AWS/RDS', metric, instance), metric).toHaveLength(1);
    }
  });

  it('has a dashboard', () => {
    synthesized.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
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
        'CloudFrontUrl',
        'DocsUrl',
        'HostedUiDomain',
        'MasterDatabaseSecretArn',
        'OriginVerifySecretArn',
        'UserPoolClientId',
        'UserPoolId',
      ].sort(),
    );
  });
});
