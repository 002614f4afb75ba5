import { createHash } from 'node:crypto';
import { Annotations, type CfnCondition, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
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
  /** Subscribed to the alarm topic and the budget when set; synth warns when it is not. */
  alarmEmail: string | undefined;
  /** The API function, whose concurrency alarms near its reserved concurrency and whose EMF metrics are charted. */
  apiFunction: lambda.IFunction;
  apiReservedConcurrency: number;
  /** The API's share of the database's connections (= the reserved concurrency unless that is 0). */
  apiConnectionBudget: number;
  /** The tag whose costs the budget counts (a cost allocation tag the stack applies to every resource). */
  costAllocationTag: { key: string; value: string };
  /** Whether to create the dashboard ($3 a month); the alarms exist either way. */
  dashboard: boolean;
  /** The rotation functions' names (Serverless Application Repository functions), by a name for alarms. */
  rotationFunctionNames: Record<string, string>;
  /** The instance class's memory, for the FreeableMemory alarm, and whether it earns CPU credits. */
  databaseMemoryGiB: number;
  /** The instance class's max_connections, for the connections alarm. */
  databaseMaxConnections: number;
  databaseBurstable: boolean;
  distribution: cloudfront.Distribution;
  /** CloudFront's metrics exist in us-east-1 only: its alarm is created only there. */
  inUsEast1: CfnCondition;
  /** Monthly cost budget in USD. */
  budgetUsd: number;
  /** `DESTROY` also schedules the topic's KMS key for deletion; otherwise the key is kept ($1 a month). */
  removalPolicy: RemovalPolicy;
}

/** The namespace of the API's EMF metrics (handlers/runtime/metrics.ts). */
export const metricsNamespace = 'Taskboard';

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
  /** Open connections as a share of the instance class's max_connections (infra/settings.ts). */
  databaseConnectionsPercent: 80,
  /** Rotation function errors per 5 minutes: a failed rotation leaves the secret in AWSPENDING. */
  rotationErrors: 1,
  /** Concurrent executions as a share of the reserved concurrency (the connection budget). */
  concurrencyPercent: 80,
  /** Freeable memory as a share of the instance class's memory. */
  databaseFreeableMemoryPercent: 10,
  /** CPU credits left on a burstable (t-class) instance; at 0 it bills surplus credits. */
  databaseCpuCredits: 20,
  /** CloudFront 5xx error rate in percent, over 5 minutes. */
  cloudFront5xxPercent: 5,
  /** Budget alerts: actual spend at these percentages, and the month's forecast at 100%. */
  budgetActualPercents: [80, 100],
} as const;

/**
 * What operators watch: an encrypted SNS topic (publishing over TLS only) that receives every alarm
 * — API 5xx rate and p99 latency, function errors and throttles, rotation failures, the API
 * function's concurrency, database CPU, CPU credits (t-class), freeable memory, free storage and
 * connections, CloudFront 5xx (us-east-1 only) — and the monthly budget's alerts; and a dashboard
 * of the same metrics plus the API's EMF metrics (status classes, 503 causes, replays, 412s, cold starts).
 */
export class Observability extends Construct {
  readonly alarmTopic: sns.Topic;
  /** Encrypts the topic; CloudWatch may use it to publish. */
  readonly alarmTopicKey: kms.Key;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The dashboard, when asked for (`dashboard`; prod). */
  readonly dashboard: cloudwatch.Dashboard | undefined;
  readonly budget: budgets.CfnBudget;
  /** CloudFront's 5xx alarm, created in us-east-1 only (so not on the dashboard's alarm widget). */
  readonly cloudFront5xxAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);

    // CloudWatch can publish to an encrypted topic only with a customer managed key it may use.
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Taskboard alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(7),
    });
    for (const service of ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com']) {
      this.alarmTopicKey.grant(new iam.ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${Stack.of(this).stackName} alarms`,
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    } else {
      Annotations.of(Stack.of(this)).addWarningV2(
        'taskboard:alarmEmail',
        'NO ONE WILL BE TOLD: alarmEmail is not set, so the alarms and the budget alerts reach an SNS topic nobody ' +
          'subscribes to. Deploy with -c alarmEmail=you@example.com.',
      );
    }
    // The topic policy replaces SNS's default one, so every publisher is named here: CloudWatch for
    // this account's alarms, and Budgets.
    const stack = Stack.of(this);
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
        },
      }),
    );
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BudgetsPublish',
        principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.budget = this.monthlyBudget(props.budgetUsd, props.alarmEmail, props.costAllocationTag);

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
    const connectionsThreshold = Math.floor(
      (props.databaseMaxConnections * thresholds.databaseConnectionsPercent) / 100,
    );
    this.alarm('DatabaseConnections', connections, {
      threshold: connectionsThreshold,
      description: `More than ${connectionsThreshold} database connections (${thresholds.databaseConnectionsPercent}% of max_connections).`,
    });

    for (const [name, functionName] of Object.entries(props.rotationFunctionNames)) {
      this.alarm(
        `${name}Errors`,
        new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensionsMap: { FunctionName: functionName },
          period: fiveMinutes,
          statistic: 'Sum',
        }),
        {
          threshold: thresholds.rotationErrors,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          description: `${name}: the secret's rotation failed; the secret may be left with an AWSPENDING version.`,
        },
      );
    }
    const concurrency = props.apiFunction.metric('ConcurrentExecutions', { period: fiveMinutes, statistic: 'Maximum' });
    const concurrencyThreshold = Math.max(
      1,
      Math.floor((props.apiConnectionBudget * thresholds.concurrencyPercent) / 100),
    );
    this.alarm('ApiFunctionConcurrency', concurrency, {
      threshold: concurrencyThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        props.apiReservedConcurrency > 0
          ? `API function: ${concurrencyThreshold} concurrent executions, ${thresholds.concurrencyPercent}% of its reserved ${props.apiReservedConcurrency} (the connection budget).`
          : `API function (not reserved): ${concurrencyThreshold} concurrent executions, ${thresholds.concurrencyPercent}% of the ${props.apiConnectionBudget} connections it may hold; beyond that PostgreSQL refuses connections and the API answers 503.`,
    });
    const freeableMemory = database.metricFreeableMemory({ period: fiveMinutes, statistic: 'Minimum' });
    const memoryThreshold = Math.round(
      (props.databaseMemoryGiB * 1024 ** 3 * thresholds.databaseFreeableMemoryPercent) / 100,
    );
    this.alarm('DatabaseFreeableMemory', freeableMemory, {
      threshold: memoryThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      description: `Database freeable memory below ${thresholds.databaseFreeableMemoryPercent}% of the instance's for 15 minutes.`,
    });
    const databaseWidgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({ title: 'Database freeable memory (bytes)', left: [freeableMemory], width: 8 }),
    ];
    if (props.databaseBurstable) {
      const credits = database.metric('CPUCreditBalance', { period: fiveMinutes, statistic: 'Minimum' });
      this.alarm('DatabaseCpuCredits', credits, {
        threshold: thresholds.databaseCpuCredits,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        description: `Database CPU credit balance below ${thresholds.databaseCpuCredits}: surplus credits are billed.`,
      });
      databaseWidgets.push(new cloudwatch.GraphWidget({ title: 'Database CPU credits', left: [credits], width: 8 }));
    }
    // CloudFront publishes in us-east-1 only, with the dimension Region=Global, which the L2's metric()
    // leaves out (aws-cdk#19245): without it the alarm and the widget would read a metric with no data.
    const cloudFront5xxProps: cloudwatch.MetricProps = {
      namespace: 'AWS/CloudFront',
      metricName: '5xxErrorRate',
      dimensionsMap: { DistributionId: props.distribution.distributionId, Region: 'Global' },
      period: fiveMinutes,
      statistic: 'Average',
    };
    // The dashboard may be in any region: its widget reads the metric from us-east-1.
    const cloudFront5xx = new cloudwatch.Metric({
      ...cloudFront5xxProps,
      region: 'us-east-1',
      label: 'CloudFront 5xx (%)',
    });
    // Not in this.alarms: the dashboard's alarm widget would name an alarm that outside us-east-1 does not exist.
    this.cloudFront5xxAlarm = new cloudwatch.Alarm(this, 'CloudFront5xxRate', {
      // Created in us-east-1 only (the condition below), where the metric is local.
      metric: new cloudwatch.Metric(cloudFront5xxProps),
      threshold: thresholds.cloudFront5xxPercent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `More than ${thresholds.cloudFront5xxPercent}% of CloudFront responses were 5xx over 5 minutes.`,
    });
    this.cloudFront5xxAlarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    this.cloudFront5xxAlarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    (this.cloudFront5xxAlarm.node.defaultChild as cloudwatch.CfnAlarm).cfnOptions.condition = props.inUsEast1;

    const emf = (metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: metricsNamespace,
        metricName,
        dimensionsMap: { FunctionName: props.apiFunction.functionName },
        period: fiveMinutes,
        statistic: 'Sum',
        label,
      });

    if (!props.dashboard) {
      this.dashboard = undefined;
      return;
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboards are global to the account: the region keeps a second copy of the stack from colliding.
      dashboardName: `${stack.stackName}-${stack.region}`,
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
        [
          ...databaseWidgets,
          new cloudwatch.GraphWidget({ title: 'API function concurrency', left: [concurrency], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'CloudFront 5xx (%)', left: [cloudFront5xx], width: 8 }),
        ],
        [
          // API Gateway's own counts, which include what its authorizer and throttling reject.
          new cloudwatch.GraphWidget({
            title: 'API responses: all, 4xx, 5xx',
            left: [
              requests.with({ label: 'all' }),
              api.metricClientError({ period: fiveMinutes, statistic: 'Sum', label: '4xx' }),
              serverErrors.with({ label: '5xx' }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            // An outage (database or secret unreachable) apart from contention (a healthy database
            // busy with another request's locks: lock_timeout, a deadlock), which a retry overcomes.
            title: '503 causes: outage vs contention',
            left: [
              emf('ServiceUnavailableDatabase', 'database unavailable'),
              emf('ServiceUnavailableSecret', 'secret unavailable'),
              emf('ServiceUnavailableContention', 'contention (busy, retry)'),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Replays, 412s, cold starts',
            left: [
              emf('IdempotentReplays', 'idempotent replays'),
              emf('PreconditionFailed', '412 precondition failed'),
              emf('ColdStarts', 'cold starts'),
            ],
            width: 8,
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }

  /**
   * A monthly cost budget of the costs the stack's tag allocates, with alerts on actual and forecast
   * spend, to the alarm topic and `email`. Budget names are unique in the account and a change of
   * subscribers replaces the budget: the name carries the region and a hash of the notifications, so
   * the replacement (and a copy of the stack in another region) gets a name of its own.
   */
  private monthlyBudget(
    limitUsd: number,
    email: string | undefined,
    tag: { key: string; value: string },
  ): budgets.CfnBudget {
    const subscribers: budgets.CfnBudget.SubscriberProperty[] = [
      { subscriptionType: 'SNS', address: this.alarmTopic.topicArn },
      ...(email ? [{ subscriptionType: 'EMAIL', address: email }] : []),
    ];
    const notification = (notificationType: 'ACTUAL' | 'FORECASTED', threshold: number) => ({
      notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
      subscribers,
    });
    const notifications = [
      ...thresholds.budgetActualPercents.map((percent) => notification('ACTUAL', percent)),
      notification('FORECASTED', 100),
    ];
    const notificationsHash = createHash('sha256')
      .update(JSON.stringify([thresholds.budgetActualPercents, email ?? '']))
      .digest('hex')
      .slice(0, 8);
    const stack = Stack.of(this);
    return new budgets.CfnBudget(this, 'MonthlyBudget', {
      budget: {
        budgetName: `${stack.stackName}-${stack.region}-monthly-${notificationsHash}`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: limitUsd, unit: 'USD' },
        // Only this stack's costs: user-defined tags appear in billing once activated (infra/README.md).
        costFilters: { TagKeyValue: [`user:${tag.key}$${tag.value}`] },
      },
      notificationsWithSubscribers: notifications,
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
