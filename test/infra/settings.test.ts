import { App, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import {
  connectionBudget,
  connectionHeadroom,
  defaultSettings,
  instanceClasses,
  profiles,
  readSettings,
  SettingsError,
} from '../../infra/settings.ts';
import { cdkJsonContext } from './support/synthesize.ts';

const settingsFrom = (context: Record<string, unknown>) => readSettings(new App({ context }).node);

describe('readSettings', () => {
  it('reads cdk.json’s context as the documented defaults', () => {
    const { migrationRunId, ...settings } = settingsFrom(cdkJsonContext);

    expect(settings).toEqual(defaultSettings);
    expect(migrationRunId).not.toBe('');
  });

  it('accepts command-line strings (-c key=value)', () => {
    const settings = settingsFrom({
      useRdsProxy: 'true',
      deletionProtection: 'false',
      removalPolicy: 'destroy',
      throttlingRateLimit: '10',
      logRetentionDays: '7',
      callbackUrls: '["https://app.example.com/"]',
    });

    expect(settings).toMatchObject({
      useRdsProxy: true,
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      throttlingRateLimit: 10,
      logRetention: RetentionDays.ONE_WEEK,
      callbackUrls: ['https://app.example.com/'],
      logoutUrls: ['https://app.example.com/'],
    });
  });

  it('defaults to the dev profile: no deletion protection, destroy on delete, one endpoint AZ, a week of logs', () => {
    expect(settingsFrom(cdkJsonContext)).toMatchObject({
      profile: 'dev',
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      multiAz: false,
      useRdsProxy: false,
      waf: false,
      secretsManagerEndpointAzs: 1,
      logRetention: RetentionDays.ONE_WEEK,
      budgetUsd: 20,
    });
  });

  it('the prod profile turns on Multi-AZ, RDS Proxy, WAF, deletion protection, a snapshot and 90 days of logs', () => {
    expect(settingsFrom({ ...cdkJsonContext, profile: 'prod' })).toMatchObject({
      ...profiles.prod,
      profile: 'prod',
      apiReservedConcurrency: connectionBudget('t4g.small'),
    });
  });

  it('an individual flag overrides the profile', () => {
    const settings = settingsFrom({
      ...cdkJsonContext,
      profile: 'prod',
      waf: 'false',
      multiAz: 'false',
      budgetUsd: '50',
    });

    expect(settings).toMatchObject({ waf: false, multiAz: false, useRdsProxy: true, budgetUsd: 50 });
  });

  it('derives the API’s reserved concurrency from the instance class’s connections, less the headroom', () => {
    const headroom = Object.values(connectionHeadroom).reduce((sum, value) => sum + value, 0);

    expect(headroom).toBe(9);
    expect(settingsFrom({ dbInstanceClass: 't4g.micro' }).apiReservedConcurrency).toBe(84 - 9);
    expect(settingsFrom({ dbInstanceClass: 'm7g.large' }).apiReservedConcurrency).toBe(
      (instanceClasses['m7g.large']?.maxConnections ?? 0) - 9,
    );
    expect(settingsFrom({ dbInstanceClass: 't4g.micro', apiReservedConcurrency: '20' }).apiReservedConcurrency).toBe(
      20,
    );
  });

  it('an instance class outside the table needs an explicit apiReservedConcurrency', () => {
    expect(() => settingsFrom({ dbInstanceClass: 'x2g.large' })).toThrow('dbInstanceClass');
    expect(settingsFrom({ dbInstanceClass: 'x2g.large', apiReservedConcurrency: '40' }).apiReservedConcurrency).toBe(
      40,
    );
  });

  it('reads the SES sender and the custom domain, and asks for what each needs', () => {
    const settings = settingsFrom({
      sesFromEmail: 'no-reply@example.com',
      sesRegion: 'us-east-1',
      domainName: 'api.example.com',
      hostedZoneId: 'Z0123456789ABC',
      hostedZoneName: 'example.com',
    });

    expect(settings.ses).toEqual({
      fromEmail: 'no-reply@example.com',
      region: 'us-east-1',
      configurationSet: undefined,
    });
    expect(settings.customDomain).toMatchObject({ domainName: 'api.example.com', hostedZoneId: 'Z0123456789ABC' });
    expect(() => settingsFrom({ sesFromEmail: 'no-reply@example.com' })).toThrow('sesRegion');
    expect(() => settingsFrom({ domainName: 'api.example.com' })).toThrow('certificateArn');
    expect(() => settingsFrom({ certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' })).toThrow(
      'domainName',
    );
  });

  it('changes the migration run id on every synth unless pinned', () => {
    expect(settingsFrom({ migrationRunId: 'pinned' }).migrationRunId).toBe('pinned');
  });

  it.each([
    ['useRdsProxy', 'yes'],
    ['removalPolicy', 'keep'],
    ['throttlingBurstLimit', '-1'],
    ['logRetentionDays', '10'],
    ['callbackUrls', 'http://app.example.com/'],
    ['hostedUiDomainPrefix', 'Not_Valid'],
    ['logLevel', 'verbose'],
    ['profile', 'staging'],
    ['budgetUsd', '0'],
    ['secretsManagerEndpointAzs', '3'],
    ['certificateArn', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc'],
  ])('rejects a bad %s, naming it', (key, value) => {
    expect(() => settingsFrom({ [key]: value })).toThrow(SettingsError);
    expect(() => settingsFrom({ [key]: value })).toThrow(key);
  });
});
