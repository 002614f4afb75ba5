import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CfnResource, type CustomResource, Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { projectRoot } from '../api-definition.ts';
import { lambdaCaBundle } from './api.ts';
import { appSchema, appUsername, type Database, databaseName } from './database.ts';
import { HouseFunction } from './house-function.ts';
import type { Network } from './network.ts';

/** The repository's numbered SQL migrations. */
export const migrationsDirectory = path.join(projectRoot, 'migrations');

/** SHA-256 over the migration files' names and contents, in order: changes whenever a migration does. */
export function hashMigrations(directory: string = migrationsDirectory): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(directory)
    .filter((name) => name.endsWith('.sql'))
    .sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(directory, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

export interface MigrationsProps {
  network: Network;
  database: Database;
  logRetention: logs.RetentionDays;
  /** Differs on every synth, so that the migrations run on every deploy. */
  runId: string;
}

/**
 * Applies migrations/ on every deploy: a trigger invokes the migration function
 * (infra/functions/migrate-database.ts) against the instance endpoint — never the proxy — once the
 * database exists. The function creates the application role and its schema as the master user,
 * then runs postgres-migrations as the application role. Use {@link Migrations.runBefore} for what
 * must wait for a migrated schema.
 */
export class Migrations extends Construct {
  readonly function: HouseFunction;
  readonly trigger: triggers.Trigger;
  /** The hash of the migration files the deployed function carries. */
  readonly migrationsHash: string;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const { network, database } = props;
    this.migrationsHash = hashMigrations();

    this.function = new HouseFunction(this, 'Function', {
      entry: 'infra/functions/migrate-database.ts',
      description: 'Taskboard migrations: application role, schema, then postgres-migrations',
      logRetention: props.logRetention,
      vpc: network.vpc,
      vpcSubnets: network.isolatedSubnets,
      preferIpv6: network.ipv6Egress,
      timeout: Duration.minutes(5),
      environment: {
        MASTER_SECRET_ARN: database.masterSecret.secretArn,
        APP_SECRET_ARN: database.appSecret.secretArn,
        DB_HOST: database.instance.dbInstanceEndpointAddress,
        DB_PORT: database.instance.dbInstanceEndpointPort,
        DB_NAME: databaseName,
        APP_ROLE: appUsername,
        APP_SCHEMA: appSchema,
        DB_SSL: 'on',
        NODE_EXTRA_CA_CERTS: lambdaCaBundle,
        MIGRATIONS_HASH: this.migrationsHash,
        // Behind RDS Proxy the server must not end idle sessions: they are the proxy's pooled connections.
        DB_RECLAIM_IDLE_SESSIONS: database.proxy ? 'off' : 'on',
      },
      afterBundling: (inputDir, outputDir) => [
        // The repository's migrations next to the bundle, where the function looks unless MIGRATIONS_DIR is set.
        `mkdir -p "${outputDir}/sql"`,
        `cp "${inputDir}/migrations/"*.sql "${outputDir}/sql/"`,
        // postgres-migrations reads its own first migration relative to its module, i.e. the bundle.
        `mkdir -p "${outputDir}/migrations"`,
        `cp "${inputDir}/node_modules/postgres-migrations/dist/migrations/"*.sql "${outputDir}/migrations/"`,
      ],
    });
    database.masterSecret.grantRead(this.function);
    database.appSecret.grantRead(this.function);
    database.allowInstanceConnectionsFrom(this.function, 'Migration function to PostgreSQL');
    network.allowSecretsManagerFrom(this.function);

    this.trigger = new triggers.Trigger(this, 'Trigger', {
      handler: this.function,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(6),
      executeOnHandlerChange: true,
      // The instance, the way to Secrets Manager (endpoint or IPv6 routes), the ingress rules that admit the function and the
      // function's own egress rules; nothing broader, because the API function and the rotations in
      // turn wait for the migrations (runBefore).
      executeAfter: [
        database.instance.node.defaultChild as Construct,
        database.securityGroup,
        ...network.secretsManagerPath,
        ...this.function.connections.securityGroups,
      ],
    });
    // The trigger re-runs when its properties change: the run id does on every synth (so every
    // deploy migrates), the hash whenever a migration file does.
    const triggerResource = (this.trigger.node.defaultChild as CustomResource).node.defaultChild as CfnResource;
    triggerResource.addPropertyOverride('MigrationsHash', this.migrationsHash);
    triggerResource.addPropertyOverride('RunId', props.runId);
  }

  /**
   * Makes `constructs` wait for this deploy's migrations: pass the API function's resource (not the
   * construct, whose security group the trigger waits for) and the rotations, so that no rotation
   * changes a password while the migrations log in, and the app user exists before its first rotation.
   */
  runBefore(...constructs: Construct[]): void {
    this.trigger.executeBefore(...constructs);
  }
}
