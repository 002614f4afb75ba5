/**
 * The deployment's knobs, read once from CDK context (`cdk.json` or `-c key=value`) and validated,
 * so that a typo fails the synth with the key's name instead of deploying something else.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { parseAllowedOrigins } from '../handlers/runtime/config.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface TaskboardSettings {
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
  /** Where the hosted UI may send the SPA back (`callbackUrls`); default: a local dev server on port 5173. */
  callbackUrls: string[];
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
}

/** The defaults; `cdk.json` repeats the ones worth seeing at a glance. */
export const defaultSettings: Omit<TaskboardSettings, 'migrationRunId'> = {
  stageName: 'v1',
  deletionProtection: true,
  removalPolicy: RemovalPolicy.SNAPSHOT,
  useRdsProxy: false,
  multiAz: false,
  dbInstanceClass: 't4g.micro',
  callbackUrls: ['http://localhost:5173/'],
  logoutUrls: ['http://localhost:5173/'],
  hostedUiDomainPrefix: undefined,
  enableAdminPasswordAuth: false,
  threatProtection: false,
  throttlingRateLimit: 1000,
  throttlingBurstLimit: 2000,
  logRetention: RetentionDays.ONE_MONTH,
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

function removalPolicy(context: Context): RemovalPolicy {
  const raw = context('removalPolicy');
  if (raw === undefined) return defaultSettings.removalPolicy;
  const policies: Record<string, RemovalPolicy> = {
    retain: RemovalPolicy.RETAIN,
    snapshot: RemovalPolicy.SNAPSHOT,
    destroy: RemovalPolicy.DESTROY,
  };
  const policy = typeof raw === 'string' ? policies[raw] : undefined;
  if (!policy) throw new SettingsError('removalPolicy', `must be one of ${Object.keys(policies).join(', ')}`);
  return policy;
}

function retention(context: Context): RetentionDays {
  const raw = context('logRetentionDays');
  if (raw === undefined) return defaultSettings.logRetention;
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

/** Reads and validates the settings from the context visible at `node`. */
export function readSettings(node: Node): TaskboardSettings {
  const context: Context = (key) => node.tryGetContext(key);
  const callbackUrls = urls(context, 'callbackUrls', defaultSettings.callbackUrls);
  const throttlingRateLimit = integer(context, 'throttlingRateLimit', defaultSettings.throttlingRateLimit, 1, 10_000);
  const throttlingBurstLimit = integer(context, 'throttlingBurstLimit', defaultSettings.throttlingBurstLimit, 0, 5000);
  return {
    stageName: text(context, 'stageName', /^[A-Za-z0-9_]{1,64}$/) ?? defaultSettings.stageName,
    deletionProtection: flag(context, 'deletionProtection', defaultSettings.deletionProtection),
    removalPolicy: removalPolicy(context),
    useRdsProxy: flag(context, 'useRdsProxy', defaultSettings.useRdsProxy),
    multiAz: flag(context, 'multiAz', defaultSettings.multiAz),
    dbInstanceClass: text(context, 'dbInstanceClass', /^[a-z0-9]+\.[a-z0-9]+$/) ?? defaultSettings.dbInstanceClass,
    callbackUrls,
    logoutUrls: urls(context, 'logoutUrls', callbackUrls),
    hostedUiDomainPrefix: text(context, 'hostedUiDomainPrefix', /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/),
    enableAdminPasswordAuth: flag(context, 'enableAdminPasswordAuth', defaultSettings.enableAdminPasswordAuth),
    threatProtection: flag(context, 'threatProtection', defaultSettings.threatProtection),
    throttlingRateLimit,
    throttlingBurstLimit,
    logRetention: retention(context),
    logLevel: logLevel(context),
    alarmEmail: text(context, 'alarmEmail', /^[^@\s]+@[^@\s]+$/),
    originVerifySecretVersionId: text(context, 'originVerifySecretVersionId', /^[A-Za-z0-9-]{32,64}$/),
    corsAllowedOrigins: parseAllowedOrigins(context('corsAllowedOrigins')?.toString(), 'corsAllowedOrigins'),
    migrationRunId: text(context, 'migrationRunId', /^[\w.:-]{1,64}$/) ?? new Date().toISOString(),
  };
}
