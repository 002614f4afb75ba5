import path from 'node:path';
import { AspectPriority, Aspects, CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { appPath, appScope } from '../client/app-config.ts';
import {
  type JsonObject,
  loadApiDefinition,
  loadDocs,
  type PublishedDocs,
  projectRoot,
  withCorsOrigins,
} from './api-definition.ts';
import { Api } from './constructs/api.ts';
import { Auth } from './constructs/auth.ts';
import { Database } from './constructs/database.ts';
import { DocsSite } from './constructs/docs-site.ts';
import { Edge, originVerifyHeader } from './constructs/edge.ts';
import { IdempotencySweep } from './constructs/idempotency-sweep.ts';
import { Migrations } from './constructs/migrations.ts';
import { Network } from './constructs/network.ts';
import { Observability } from './constructs/observability.ts';
import { ProviderLogGroups } from './constructs/provider-log-groups.ts';
import { SecurityHeaders } from './constructs/security-headers.ts';
import { WebApp } from './constructs/web-app.ts';
import { connectionHeadroom, instanceClasses, readSettings, type TaskboardSettings } from './settings.ts';

/** The tag every resource carries with the stack's name; the budget counts only the costs it allocates. */
export const costAllocationTag = 'taskboard:stack';

/** Where the web app's build (`npm run web:build`) is. */
const defaultAppDir = path.join(projectRoot, 'web', 'dist');

export interface TaskboardStackProps extends StackProps {
  /** The API Gateway definition; generated/apigateway.json when omitted. */
  definition?: JsonObject;
  /** The bundled spec and the docs to publish; generated/openapi.json and docs/ when omitted. */
  docs?: PublishedDocs;
  /** The built web app; web/dist when omitted. Without index.html there a placeholder page is deployed. */
  appDir?: string;
}

/**
 * The Taskboard backend, in the order a request travels:
 *
 *   client → CloudFront (Edge) → API Gateway + Cognito authorizer (Api, Auth)
 *          → Lambda in isolated subnets (Api, Network) → RDS PostgreSQL (Database)
 *
 * plus the migrations that run on every deploy and the alarms that watch it all.
 */
export class TaskboardStack extends Stack {
  readonly settings: TaskboardSettings;
  readonly network: Network;
  readonly database: Database;
  readonly auth: Auth;
  readonly api: Api;
  readonly migrations: Migrations;
  readonly sweep: IdempotencySweep;
  readonly edge: Edge;
  readonly docs: DocsSite;
  readonly securityHeaders: SecurityHeaders;
  readonly webApp: WebApp;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: TaskboardStackProps = {}) {
    super(scope, id, {
      description: 'Taskboard API: CloudFront, API Gateway, Lambda, RDS PostgreSQL, Cognito',
      ...props,
    });
    const settings = readSettings(this.node);
    this.settings = settings;
    const logRetention = settings.logRetention;

    // Costs are allocated by this tag, which the budget filters on (activate it once: infra/README.md).
    // CDK would tag these, but CloudFormation's schemas (as cfn-lint reads them) take no Tags on them.
    const untaggedTypes = ['AWS::CloudWatch::Dashboard', 'AWS::RDS::DBProxyTargetGroup'];
    Tags.of(this).add(costAllocationTag, this.stackName, { excludeResourceTypes: untaggedTypes });

    // Private network: isolated subnets; Secrets Manager over IPv6 (dev) or through an endpoint (prod).
    this.network = new Network(this, 'Network', {
      logRetention,
      secretsAccess: settings.secretsAccess,
      secretsManagerEndpointAzs: settings.secretsManagerEndpointAzs,
    });
    const capacity = instanceClasses[settings.dbInstanceClass];

    // PostgreSQL 17 with a master secret and the application user's secret.
    this.database = new Database(this, 'Database', {
      network: this.network,
      instanceClass: settings.dbInstanceClass,
      multiAz: settings.multiAz,
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.removalPolicy,
      useRdsProxy: settings.useRdsProxy,
      logRetention,
      // The API's share of max_connections through the proxy: everything but the headroom.
      proxyMaxConnectionsPercent: capacity
        ? Math.floor((100 * settings.apiConnectionBudget) / capacity.maxConnections)
        : 100 - Object.values(connectionHeadroom).reduce((sum, value) => sum + value, 0),
    });

    // Who may call: the Cognito user pool the API's authorizer trusts.
    this.auth = new Auth(this, 'Auth', {
      hostedUiDomainPrefix: settings.hostedUiDomainPrefix,
      threatProtection: settings.threatProtection,
      removalPolicy: settings.removalPolicy,
      ses: settings.ses,
    });

    // API Gateway from the generated definition, integrated with the API function.
    this.api = new Api(this, 'Api', {
      definition: withCorsOrigins(props.definition ?? loadApiDefinition(), settings.corsAllowedOrigins),
      network: this.network,
      database: this.database,
      userPool: this.auth.userPool,
      stageName: settings.stageName,
      throttlingRateLimit: settings.throttlingRateLimit,
      throttlingBurstLimit: settings.throttlingBurstLimit,
      logLevel: settings.logLevel,
      logRetention,
      reservedConcurrency: settings.apiReservedConcurrency,
      wafRateLimit: settings.waf ? settings.wafRateLimit : undefined,
    });

    this.api.function.addEnvironment('CORS_ALLOWED_ORIGINS', settings.corsAllowedOrigins.join(','));

    // Migrations on every deploy, before the API function and the rotations touch the database.
    this.migrations = new Migrations(this, 'Migrations', {
      network: this.network,
      database: this.database,
      logRetention,
      runId: settings.migrationRunId,
    });
    // Expired Idempotency-Keys are swept hourly, in batches; the schedule starts once the table exists.
    this.sweep = new IdempotencySweep(this, 'IdempotencySweep', {
      network: this.network,
      database: this.database,
      logRetention,
      reservedConcurrency: settings.sweepReservedConcurrency,
    });
    this.migrations.runBefore(
      this.api.function.node.defaultChild as Construct,
      this.database.masterRotation,
      this.database.appRotation,
      this.sweep.schedule,
    );

    // CloudFront in front; the API function accepts only requests that carry its secret header.
    this.edge = new Edge(this, 'Edge', {
      apiDomainName: this.api.domainName,
      stageName: settings.stageName,
      originVerifySecretVersionId: settings.originVerifySecretVersionId,
      customDomain: settings.customDomain,
      wafRateLimit: settings.waf ? settings.wafRateLimit : undefined,
    });
    this.api.acceptOnlyFrom(this.edge.originVerifySecret, {
      header: originVerifyHeader,
      value: this.edge.originVerifyValue,
    });

    // Security headers for the pages the distribution serves from the bucket: the app may call the
    // API (its own origin) and Cognito (discovery and keys on cognito-idp, tokens on the hosted UI).
    this.securityHeaders = new SecurityHeaders(this, 'SecurityHeaders', {
      connectSources: [`https://cognito-idp.${this.region}.amazonaws.com`, this.auth.domain.baseUrl()],
    });

    // The docs and the bundled spec on the same distribution: /docs and /openapi.json.
    const docs = props.docs ?? loadDocs();
    this.docs = new DocsSite(this, 'Docs', {
      distribution: this.edge.distribution,
      url: this.edge.url,
      spec: docs.spec,
      docsHtml: docs.html,
      docsScripts: docs.scripts,
      logRetention,
      responseHeadersPolicy: this.securityHeaders.docs,
    });

    // The SPA signs in through the hosted UI and comes back to the deployed app, or to the URLs of
    // -c callbackUrls/logoutUrls (by default the Vite dev server, and Postman's OAuth callback).
    const appUrl = `${this.edge.url}${appPath}`;
    const spaClient = this.auth.addSpaClient('SpaClient', {
      callbackUrls: [appUrl, ...settings.callbackUrls],
      logoutUrls: [appUrl, ...settings.logoutUrls],
      enableAdminPasswordAuth: settings.enableAdminPasswordAuth,
    });

    // The web app at /app/ on the same distribution, its config.json written from this stack.
    this.webApp = new WebApp(this, 'WebApp', {
      distribution: this.edge.distribution,
      bucket: this.docs.bucket,
      origin: this.docs.origin,
      appDir: props.appDir ?? defaultAppDir,
      config: {
        apiUrl: this.edge.url,
        authority: this.auth.userPool.userPoolProviderUrl,
        clientId: spaClient.userPoolClientId,
        redirectUri: appUrl,
        logoutUri: appUrl,
        logoutEndpoint: `${this.auth.domain.baseUrl()}/logout`,
        scope: appScope,
      },
      responseHeadersPolicy: this.securityHeaders.app,
      logRetention,
    });

    // Alarms and the budget to SNS, and a dashboard.
    this.observability = new Observability(this, 'Observability', {
      stage: this.api.stage,
      functions: {
        ApiFunction: this.api.function,
        MigrationFunction: this.migrations.function,
        SweepFunction: this.sweep.function,
      },
      database: this.database.instance,
      alarmEmail: settings.alarmEmail,
      apiFunction: this.api.function,
      apiReservedConcurrency: settings.apiReservedConcurrency,
      apiConnectionBudget: settings.apiConnectionBudget,
      rotationFunctionNames: this.database.rotationFunctionNames,
      databaseMemoryGiB: capacity?.memoryGiB ?? 1,
      databaseMaxConnections: capacity?.maxConnections ?? settings.apiConnectionBudget,
      databaseBurstable: settings.dbInstanceClass.startsWith('t'),
      distribution: this.edge.distribution,
      inUsEast1: this.edge.inUsEast1,
      budgetUsd: settings.budgetUsd,
      costAllocationTag: { key: costAllocationTag, value: this.stackName },
      dashboard: settings.dashboard,
      removalPolicy: settings.removalPolicy,
    });

    Aspects.of(this).add(new ProviderLogGroups(logRetention), { priority: AspectPriority.MUTATING });

    const outputs: Record<string, [string, string]> = {
      ApiUrl: [
        this.api.restApi.url,
        'API Gateway stage URL, not for clients: 401 on secured routes without a token, 404 on unknown paths, else 403 (no CloudFront header)',
      ],
      CloudFrontUrl: [`${this.edge.url}/`, 'Public API URL: call the operations here'],
      DocsUrl: [`${this.edge.url}/docs`, 'API docs (Redoc) and, at /openapi.json, the bundled spec'],
      AppUrl: [appUrl, 'The web app (sign in through the hosted UI)'],
      UserPoolId: [this.auth.userPool.userPoolId, 'Cognito user pool id'],
      UserPoolClientId: [spaClient.userPoolClientId, 'SPA app client id (no secret)'],
      HostedUiDomain: [this.auth.domain.baseUrl(), 'Cognito hosted UI / OAuth endpoints'],
      AppDatabaseSecretArn: [this.database.appSecret.secretArn, 'Application database user (taskboard_app)'],
      MasterDatabaseSecretArn: [this.database.masterSecret.secretArn, 'Database master user (migrations only)'],
      OriginVerifySecretArn: [this.edge.originVerifySecret.secretArn, 'CloudFront origin-verify header value'],
      AlarmTopicArn: [this.observability.alarmTopic.topicArn, 'SNS topic of every alarm'],
    };
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description });
    }
  }
}
