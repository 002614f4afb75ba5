import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { lambdaCaBundle } from './api.ts';
import type { Database } from './database.ts';
import { HouseFunction } from './house-function.ts';
import type { Network } from './network.ts';

export interface IdempotencySweepProps {
  network: Network;
  database: Database;
  logRetention: logs.RetentionDays;
  /** 1: one sweep at a time, one of the database's connections (see connectionHeadroom); 0: not reserved. */
  reservedConcurrency: number;
}

/**
 * Forgets expired Idempotency-Keys: an hourly EventBridge schedule invokes a small function
 * (infra/functions/sweep-idempotency-keys.ts) in the isolated subnets that reads only the
 * application user's secret and deletes old keys in batches, connected to the instance itself.
 */
export class IdempotencySweep extends Construct {
  readonly function: HouseFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: IdempotencySweepProps) {
    super(scope, id);
    const { network, database } = props;

    this.function = new HouseFunction(this, 'Function', {
      entry: 'infra/functions/sweep-idempotency-keys.ts',
      description: 'Taskboard: deletes expired idempotency keys in batches',
      logRetention: props.logRetention,
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      preferIpv6: network.ipv6Egress,
      timeout: Duration.minutes(2),
      memorySize: 256,
      // Reserved (1): one sweep at a time. Lambda refuses to reserve 0, so "off" leaves the setting out.
      ...(props.reservedConcurrency > 0 ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      environment: {
        DB_SECRET_ARN: database.appSecret.secretArn,
        DB_HOST: database.instance.dbInstanceEndpointAddress,
        DB_SSL: 'on',
        NODE_EXTRA_CA_CERTS: lambdaCaBundle,
      },
    });
    database.appSecret.grantRead(this.function);
    database.allowInstanceConnectionsFrom(this.function, 'Idempotency-key sweep to PostgreSQL');
    network.allowSecretsManagerFrom(this.function);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Hourly sweep of expired idempotency keys',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new eventTargets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
