/**
 * The deployment's knobs, read once from CDK context (`cdk.json` or `-c key=value`) and validated,
 * so that a typo fails the synth with the key's name instead of deploying something else.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { parseAllowedOrigins } from '../handlers/runtime/config.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A named set of defaults (`-c profile=dev|prod`); every individual flag still overrides it. */
export type Profile = 'dev' | 'prod';

/**
 * How the functions in the VPC reach Secrets Manager (`secretsAccess`): through an interface endpoint
 * (`endpoint`: no route out of the VPC at all) or over IPv6 through an egress-only internet gateway
 * to Secrets Manager's ordinary dual-stack endpoint (`ipv6`: no endpoint to pay for; see infra/README.md).
 */
export type SecretsAccess = 'endpoint' | 'ipv6';

/**
 * PostgreSQL's connection capacity per supported instance class. RDS sets `max_connections` to
 * `LEAST({DBInstanceClassMemory/9531392}, 5000)`; DBInstanceClassMemory is the class's memory less
 * what the OS and the RDS processes keep, so the budget uses 75% of the nominal memory
 * (t4g.micro: 1 GiB × 0.75 / 9531392 = 84, where the nominal 1 GiB would give 112).
 */
export const instanceClasses: Record<string, { memoryGiB: number; maxConnections: number; burstable: boolean }> = {
  't4g.micro': { memoryGiB: 1, maxConnections: 84, burstable: true },
  't4g.small': { memoryGiB: 2, maxConnections: 168, burstable: true },
  't4g.medium': { memoryGiB: 4, maxConnections: 337, burstable: true },
  't4g.large': { memoryGiB: 8, maxConnections: 675, burstable: true },
  'm7g.large': { memoryGiB: 8, maxConnections: 675, burstable: false },
  'm7g.xlarge': { memoryGiB: 16, maxConnections: 1351, burstable: false },
  'r7g.large': { memoryGiB: 16, maxConnections: 1351, burstable: false },
};

/**
 * Connections the API may not take: `superuser_reserved_connections` (3, for rdsadmin), plus the
 * migration function (master and application user: 2), the two rotations (2), the idempotency-key
 * sweep (1) and a human with psql (1).
 */
export const connectionHeadroom = { superuserReserved: 3, migrations: 2, rotations: 2, sweep: 1, human: 1 } as const;

/** The API function's reserved concurrency for `instanceClass`: one connection per instance (pool max 1). */
export function connectionBudget(instanceClass: string): number | undefined {
  const capacity = instanceClasses[instanceClass];
  if (!capacity) return undefined;
  const headroom = Object.values(connectionHeadroom).reduce((sum, value) => sum + value, 0);
  return capacity.maxConnections - headroom;
}

/** Where Postman's own OAuth 2.0 helper receives the code (the Postman collection signs in with it). */
export const postmanCallbackUrl = 'https://oauth.pstmn.io/v1/callback';

export interface TaskboardSettings {
  /** The profile whose defaults apply (`profile`): `dev` (the default) or `prod`. */
  profile: Profile;
  /** API Gateway stage, also CloudFront's origin path. */
  stageName: string;
  /** RDS deletion protection (`deletionProtection`). */
  deletionProtection: boolean;
  /** What `cdk destroy` does with the database (snapshot) and the user pool (retain), unless `destroy`. */
  removalPolicy: RemovalPolicy;
  /** Put an RDS Proxy between the API function and the database (`useRdsProxy`). */
  useRdsProxy: boolean;
  /** A standby instance in the second AZ (`multiAz`). */
  multiAz: boolean;
  /** RDS instance class without the `db.` prefix (`dbInstanceClass`). */
  dbInstanceClass: string;
  /**
   * Where the hosted UI may also send the SPA back (`callbackUrls`), besides the deployed app's own
   * `/app/`, which is always registered: default the Vite dev server and Postman's OAuth callback.
   */
  callbackUrls: string[];
  /** Sign-out URLs besides the deployed app's (`logoutUrls`); default `callbackUrls` without Postman's. */
  logoutUrls: string[];
  /** Hosted-UI domain prefix; derived from the stack name and account when absent. */
  hostedUiDomainPrefix: string | undefined;
  /** Allow `ADMIN_USER_PASSWORD_AUTH` on the SPA client, for CLI testing (`enableAdminPasswordAuth`). */
  enableAdminPasswordAuth: boolean;
  /** Cognito Plus tier with enforced threat protection (`threatProtection`); billed per active user. */
  threatProtection: boolean;
  throttlingRateLimit: number;
  throttlingBurstLimit: number;
  logRetention: RetentionDays;
  logLevel: LogLevel;
  /** Subscribed to the alarm topic when set (`alarmEmail`). */
  alarmEmail: string | undefined;
  /** Pins CloudFront's origin-verify header to one secret version; see infra/README.md, "Rotating". */
  originVerifySecretVersionId: string | undefined;
  /** Origins whose pages may call the API (`corsAllowedOrigins`: `*` or a comma-separated list). */
  corsAllowedOrigins: string[];
  /** Changes on every synth so that the migration trigger runs on every deploy (`migrationRunId`). */
  migrationRunId: string;
  /** Monthly cost budget in USD (`budgetUsd`); actual and forecast alerts go to the alarm topic and `alarmEmail`. */
  budgetUsd: number;
  /** Availability zones of the Secrets Manager interface endpoint (`secretsManagerEndpointAzs`): 1 or 2. */
  secretsManagerEndpointAzs: number;
  /** How the functions reach Secrets Manager (`secretsAccess`): `endpoint` or `ipv6`. */
  secretsAccess: SecretsAccess;
  /** The CloudWatch dashboard (`dashboard`); the alarms exist either way. */
  dashboard: boolean;
  /** AWS WAF web ACLs with a rate-based rule on CloudFront and on the regional API (`waf`). */
  waf: boolean;
  /** Requests per 5 minutes per client IP before WAF blocks it (`wafRateLimit`). */
  wafRateLimit: number;
  /**
   * The API function's reserved concurrency (`apiReservedConcurrency`); derived from `dbInstanceClass`.
   * `0` reserves nothing: the connection budget then rests on `max_connections` and the 503s.
   */
  apiReservedConcurrency: number;
  /** The API's share of the database's connections: the reserved concurrency, or the class's budget when that is 0. */
  apiConnectionBudget: number;
  /** The idempotency-key sweep's reserved concurrency (`sweepReservedConcurrency`): 1, or 0 for none. */
  sweepReservedConcurrency: number;
  /** Cognito sends email through SES from this verified address (`sesFromEmail`), else Cognito's capped sender. */
  ses: { fromEmail: string; region: string; configurationSet: string | undefined } | undefined;
  /** A custom domain for CloudFront (`domainName`), its ACM certificate and Route 53 alias. */
  customDomain:
    | {
        domainName: string;
        certificateArn: string | undefined;
        hostedZoneId: string | undefined;
        hostedZoneName: string | undefined;
      }
    | undefined;
}

type ProfileDefaults = Pick<
  TaskboardSettings,
  | 'deletionProtection'
  | 'removalPolicy'
  | 'useRdsProxy'
  | 'multiAz'
  | 'dbInstanceClass'
  | 'logRetention'
  | 'secretsManagerEndpointAzs'
  | 'secretsAccess'
  | 'dashboard'
  | 'waf'
>;

/** What each profile changes; everything else is the same in both (`defaultSettings`). */
export const profiles: Record<Profile, ProfileDefaults> = {
  /** The lowest fixed cost that keeps the design, and a stack that `npm run destroy` removes completely. */
  dev: {
    deletionProtection: false,
    removalPolicy: RemovalPolicy.DESTROY,
    useRdsProxy: false,
    multiAz: false,
    dbInstanceClass: 't4g.micro',
    logRetention: RetentionDays.ONE_WEEK,
    secretsManagerEndpointAzs: 1,
    // No interface endpoint ($7.30 a month) and no dashboard ($3): idle under the $20 budget (infra/README.md, "Cost").
    secretsAccess: 'ipv6',
    dashboard: false,
    waf: false,
  },
  /** A standby, a proxy, a firewall, deletion protection and a final snapshot. */
  prod: {
    deletionProtection: true,
    removalPolicy: RemovalPolicy.SNAPSHOT,
    useRdsProxy: true,
    multiAz: true,
    dbInstanceClass: 't4g.small',
    logRetention: RetentionDays.THREE_MONTHS,
    secretsManagerEndpointAzs: 2,
    secretsAccess: 'endpoint',
    dashboard: true,
    waf: true,
  },
};

/** The defaults of the `dev` profile; `cdk.json` repeats the ones that do not depend on the profile. */
export const defaultSettings: Omit<TaskboardSettings, 'migrationRunId'> = {
  profile: 'dev',
  ...profiles.dev,
  apiReservedConcurrency: connectionBudget(profiles.dev.dbInstanceClass) ?? 1,
  apiConnectionBudget: connectionBudget(profiles.dev.dbInstanceClass) ?? 1,
  sweepReservedConcurrency: 1,
  budgetUsd: 20,
  wafRateLimit: 2000,
  ses: undefined,
  customDomain: undefined,
  stageName: 'v1',
  callbackUrls: ['http://localhost:5173/app/', postmanCallbackUrl],
  logoutUrls: ['http://localhost:5173/app/'],
  hostedUiDomainPrefix: undefined,
  enableAdminPasswordAuth: false,
  threatProtection: false,
  throttlingRateLimit: 1000,
  throttlingBurstLimit: 2000,
  corsAllowedOrigins: ['*'],
  logLevel: 'info',
  alarmEmail: undefined,
  originVerifySecretVersionId: undefined,
};

/** Thrown for a context value that cannot be used; names the key. */
export class SettingsError extends Error {
  constructor(key: string, problem: string) {
    super(`Invalid CDK context "${key}": ${problem}`);
    this.name = 'SettingsError';
  }
}

type Context = (key: string) => unknown;

function flag(context: Context, key: string, fallback: boolean): boolean {
  const raw = context(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new SettingsError(key, `must be true or false, got ${JSON.stringify(raw)}`);
}

function text(context: Context, key: string, pattern: RegExp): string | undefined {
  const raw = context(key);
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !pattern.test(raw)) throw new SettingsError(key, `must match ${pattern}`);
  return raw;
}

function integer(context: Context, key: string, fallback: number, min: number, max: number): number {
  const raw = context(key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A list from cdk.json (an array) or the command line (a JSON array or comma-separated). */
function urls(context: Context, key: string, fallback: string[]): string[] {
  const raw = context(key);
  if (raw === undefined) return fallback;
  const list = Array.isArray(raw)
    ? raw
    : typeof raw === 'string' && raw.trim().startsWith('[')
      ? (JSON.parse(raw) as unknown[])
      : String(raw).split(',');
  const values = list.map((value) => String(value).trim()).filter(Boolean);
  for (const value of values) {
    if (!/^(https:\/\/|http:\/\/localhost[:/])/.test(value)) {
      throw new SettingsError(key, `${value} must be an https URL (or http://localhost)`);
    }
  }
  return values;
}

function removalPolicy(context: Context, fallback: RemovalPolicy): RemovalPolicy {
  const raw = context('removalPolicy');
  if (raw === undefined) return fallback;
  const policies: Record<string, RemovalPolicy> = {
    retain: RemovalPolicy.RETAIN,
    snapshot: RemovalPolicy.SNAPSHOT,
    destroy: RemovalPolicy.DESTROY,
  };
  const policy = typeof raw === 'string' ? policies[raw] : undefined;
  if (!policy) throw new SettingsError('removalPolicy', `must be one of ${Object.keys(policies).join(', ')}`);
  return policy;
}

function retention(context: Context, fallback: RetentionDays): RetentionDays {
  const raw = context('logRetentionDays');
  if (raw === undefined) return fallback;
  const days = Number(raw);
  const allowed = Object.values(RetentionDays).filter((value): value is number => typeof value === 'number');
  if (!allowed.includes(days) || days === RetentionDays.INFINITE) {
    throw new SettingsError('logRetentionDays', `must be one of CloudWatch's retention periods: ${allowed.join(', ')}`);
  }
  return days as RetentionDays;
}

function logLevel(context: Context): LogLevel {
  const raw = context('logLevel') ?? defaultSettings.logLevel;
  const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  if (!levels.includes(raw as LogLevel)) throw new SettingsError('logLevel', `must be one of ${levels.join(', ')}`);
  return raw as LogLevel;
}

function profile(context: Context): Profile {
  const raw = context('profile') ?? 'dev';
  if (raw !== 'dev' && raw !== 'prod') throw new SettingsError('profile', 'must be dev or prod');
  return raw;
}

function secretsAccess(context: Context, fallback: SecretsAccess): SecretsAccess {
  const raw = context('secretsAccess') ?? fallback;
  if (raw !== 'endpoint' && raw !== 'ipv6') throw new SettingsError('secretsAccess', 'must be endpoint or ipv6');
  return raw;
}

function ses(context: Context): TaskboardSettings['ses'] {
  const fromEmail = text(context, 'sesFromEmail', /^[^@\s]+@[^@\s]+$/);
  if (!fromEmail) return undefined;
  // SES identities are regional and the stack is environment-agnostic: the region must be named.
  const region = text(context, 'sesRegion', /^[a-z]{2}(-[a-z]+)+-\d$/);
  if (!region) throw new SettingsError('sesRegion', 'must name the SES region of sesFromEmail, e.g. us-east-1');
  return { fromEmail, region, configurationSet: text(context, 'sesConfigurationSet', /^[A-Za-z0-9_-]{1,64}$/) };
}

function customDomain(context: Context): TaskboardSettings['customDomain'] {
  const domainName = text(context, 'domainName', /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/);
  const certificateArn = text(context, 'certificateArn', /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/);
  const hostedZoneId = text(context, 'hostedZoneId', /^Z[A-Z0-9]{1,31}$/);
  const hostedZoneName = text(context, 'hostedZoneName', /^([a-z0-9-]+\.)+[a-z]{2,63}$/);
  if (!domainName) {
    if (certificateArn || hostedZoneId)
      throw new SettingsError('domainName', 'is required with certificateArn or hostedZoneId');
    return undefined;
  }
  if (!certificateArn && !hostedZoneId) {
    throw new SettingsError(
      'certificateArn',
      'or hostedZoneId (to issue a DNS-validated certificate) is required with domainName',
    );
  }
  if (hostedZoneId && !hostedZoneName) throw new SettingsError('hostedZoneName', 'is required with hostedZoneId');
  return { domainName, certificateArn, hostedZoneId, hostedZoneName };
}

/** Reads and validates the settings from the context visible at `node`. */
export function readSettings(node: Node): TaskboardSettings {
  const context: Context = (key) => node.tryGetContext(key);
  const chosen = profile(context);
  const base = profiles[chosen];
  const dbInstanceClass = text(context, 'dbInstanceClass', /^[a-z0-9]+\.[a-z0-9]+$/) ?? base.dbInstanceClass;
  const budget = connectionBudget(dbInstanceClass);
  if (budget === undefined && context('apiReservedConcurrency') === undefined) {
    throw new SettingsError(
      'dbInstanceClass',
      `${dbInstanceClass} is not in infra/settings.ts's instanceClasses; add it or pass apiReservedConcurrency`,
    );
  }
  const callbackUrls = urls(context, 'callbackUrls', defaultSettings.callbackUrls);
  const throttlingRateLimit = integer(context, 'throttlingRateLimit', defaultSettings.throttlingRateLimit, 1, 10_000);
  const throttlingBurstLimit = integer(context, 'throttlingBurstLimit', defaultSettings.throttlingBurstLimit, 0, 5000);
  const apiReservedConcurrency = integer(context, 'apiReservedConcurrency', budget ?? 1, 0, 10_000);
  if (apiReservedConcurrency === 0 && budget === undefined) {
    throw new SettingsError(
      'apiReservedConcurrency',
      `0 (not reserved) needs a dbInstanceClass listed in infra/settings.ts's instanceClasses, for the connection alarms`,
    );
  }
  const useRdsProxy = flag(context, 'useRdsProxy', base.useRdsProxy);
  // RDS Proxy reads its secret from inside the VPC over IPv4: it needs the interface endpoint.
  const access = secretsAccess(context, useRdsProxy ? 'endpoint' : base.secretsAccess);
  if (useRdsProxy && access === 'ipv6') {
    throw new SettingsError(
      'secretsAccess',
      'must be endpoint with useRdsProxy=true (the proxy reads its secret over IPv4)',
    );
  }
  return {
    profile: chosen,
    stageName: text(context, 'stageName', /^[A-Za-z0-9_]{1,64}$/) ?? defaultSettings.stageName,
    deletionProtection: flag(context, 'deletionProtection', base.deletionProtection),
    removalPolicy: removalPolicy(context, base.removalPolicy),
    useRdsProxy,
    multiAz: flag(context, 'multiAz', base.multiAz),
    dbInstanceClass,
    callbackUrls,
    logoutUrls: urls(
      context,
      'logoutUrls',
      callbackUrls.filter((url) => url !== postmanCallbackUrl),
    ),
    hostedUiDomainPrefix: text(context, 'hostedUiDomainPrefix', /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/),
    enableAdminPasswordAuth: flag(context, 'enableAdminPasswordAuth', defaultSettings.enableAdminPasswordAuth),
    threatProtection: flag(context, 'threatProtection', defaultSettings.threatProtection),
    throttlingRateLimit,
    throttlingBurstLimit,
    logRetention: retention(context, base.logRetention),
    logLevel: logLevel(context),
    alarmEmail: text(context, 'alarmEmail', /^[^@\s]+@[^@\s]+$/),
    originVerifySecretVersionId: text(context, 'originVerifySecretVersionId', /^[A-Za-z0-9-]{32,64}$/),
    corsAllowedOrigins: parseAllowedOrigins(context('corsAllowedOrigins')?.toString(), 'corsAllowedOrigins'),
    migrationRunId: text(context, 'migrationRunId', /^[\w.:-]{1,64}$/) ?? new Date().toISOString(),
    budgetUsd: integer(context, 'budgetUsd', defaultSettings.budgetUsd, 1, 1_000_000),
    secretsManagerEndpointAzs: integer(context, 'secretsManagerEndpointAzs', base.secretsManagerEndpointAzs, 1, 2),
    secretsAccess: access,
    dashboard: flag(context, 'dashboard', base.dashboard),
    waf: flag(context, 'waf', base.waf),
    wafRateLimit: integer(context, 'wafRateLimit', defaultSettings.wafRateLimit, 10, 2_000_000_000),
    apiReservedConcurrency,
    apiConnectionBudget: apiReservedConcurrency || (budget ?? 1),
    sweepReservedConcurrency: integer(
      context,
      'sweepReservedConcurrency',
      defaultSettings.sweepReservedConcurrency,
      0,
      1,
    ),
    ses: ses(context),
    customDomain: customDomain(context),
  };
}
