import { App, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { defaultSettings, readSettings, SettingsError } from '../../infra/settings.ts';
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
  ])('rejects a bad %s, naming it', (key, value) => {
    expect(() => settingsFrom({ [key]: value })).toThrow(SettingsError);
    expect(() => settingsFrom({ [key]: value })).toThrow(key);
  });
});
