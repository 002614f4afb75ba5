import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface ObservabilityProps {
  /** The API stage: its metrics carry the API name and stage dimensions. */
  stage: apigateway.Stage;
  /** Functions whose errors and throttles alarm, by a name for alarms and widgets. */
  functions: Record<string, lambda.IFunction>;
  database: rds.DatabaseInstance;
  /** Subscribed to the alarm topic when set. */
  alarmEmail: string | undefined;
}

/** Alarm thresholds, in one place. */
export const thresholds = {
  /** Percentage of requests answered 5xx, over 5 minutes. */
  api5xxPercent: 5,
  /** p99 latency in milliseconds, over 5 minutes. */
  apiP99LatencyMs: 3000,
  /** Function errors per 5 minutes. */
  functionErrors: 1,
  /** Throttled invocations per 5 minutes. */
  functionThrottles: 1,
  /** Average CPU percent over 15 minutes. */
  databaseCpuPercent: 80,
  /** Free storage in bytes (storage autoscaling should have grown it before). */
  databaseFreeStorageBytes: 2 * 1024 ** 3,
  /** Open connections: most of what a t4g.micro allows (about 80). */
  databaseConnections: 60,
} as const;

/**
 * What operators watch: an encrypted SNS topic (publishing over TLS only) that receives every alarm
 * — API 5xx rate and p99 latency, function errors and throttles, database CPU, free storage and
 * connections — and a dashboard of the same metrics.
 */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  /** Encrypts the topic; CloudWatch may use it to publish. */
  readonly alarmTopicKey: kms.Key;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);

    // CloudWatch can publish to an encrypted topic only with a customer managed key it may use.
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Taskboard alarm topic',
      enableKeyRotation: true,
    });
    this.alarmTopicKey.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${Stack.of(this).stackName} alarms`,
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const api = props.stage;
    const requests = api.metricCount({ period: fiveMinutes, statistic: 'Sum' });
    const serverErrors = api.metricServerError({ period: fiveMinutes, statistic: 'Sum' });
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period: fiveMinutes,
      label: 'API 5xx (%)',
    });
    const latencyP99 = api.metricLatency({ period: fiveMinutes, statistic: 'p99' });

    this.alarm('Api5xxRate', serverErrorRate, {
      threshold: thresholds.api5xxPercent,
      description: `More than ${thresholds.api5xxPercent}% of API requests failed with 5xx over 5 minutes.`,
    });
    this.alarm('ApiLatencyP99', latencyP99, {
      threshold: thresholds.apiP99LatencyMs,
      evaluationPeriods: 3,
      description: `API p99 latency above ${thresholds.apiP99LatencyMs} ms for 15 minutes.`,
    });

    const functionWidgets: cloudwatch.IWidget[] = [];
    for (const [name, fn] of Object.entries(props.functions)) {
      const errors = fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' });
      const throttles = fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' });
      this.alarm(`${name}Errors`, errors, {
        threshold: thresholds.functionErrors,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description: `${name}: at least ${thresholds.functionErrors} error(s) in 5 minutes.`,
      });
      this.alarm(`${name}Throttles`, throttles, {
        threshold: thresholds.functionThrottles,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description: `${name}: throttled invocations in 5 minutes.`,
      });
      functionWidgets.push(
        new cloudwatch.GraphWidget({
          title: `${name}: invocations, errors, throttles`,
          left: [fn.metricInvocations({ period: fiveMinutes, statistic: 'Sum' }), errors, throttles],
          right: [fn.metricDuration({ period: fiveMinutes, statistic: 'p99' })],
          width: 12,
        }),
      );
    }

    const database = props.database;
    const cpu = database.metricCPUUtilization({ period: fiveMinutes, statistic: 'Average' });
    const freeStorage = database.metricFreeStorageSpace({ period: fiveMinutes, statistic: 'Minimum' });
    const connections = database.metricDatabaseConnections({ period: fiveMinutes, statistic: 'Maximum' });
    this.alarm('DatabaseCpu', cpu, {
      threshold: thresholds.databaseCpuPercent,
      evaluationPeriods: 3,
      description: `Database CPU above ${thresholds.databaseCpuPercent}% for 15 minutes.`,
    });
    this.alarm('DatabaseFreeStorage', freeStorage, {
      threshold: thresholds.databaseFreeStorageBytes,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      description: 'Database free storage below 2 GiB.',
    });
    this.alarm('DatabaseConnections', connections, {
      threshold: thresholds.databaseConnections,
      description: `More than ${thresholds.databaseConnections} database connections.`,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: Stack.of(this).stackName,
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new cloudwatch.GraphWidget({ title: 'API requests', left: [requests], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'API 5xx (%)', left: [serverErrorRate], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'API latency p99 (ms)', left: [latencyP99], width: 8 }),
        ],
        functionWidgets,
        [
          new cloudwatch.GraphWidget({ title: 'Database CPU (%)', left: [cpu], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Database free storage (bytes)', left: [freeStorage], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Database connections', left: [connections], width: 8 }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    options: {
      threshold: number;
      description: string;
      comparisonOperator?: cloudwatch.ComparisonOperator;
      evaluationPeriods?: number;
    },
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: options.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}
