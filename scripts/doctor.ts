/**
 * `npm run doctor [-- --stage dev|prod]`: checks what a deploy needs before anything is created (see
 * scripts/doctor/checks.ts). Exits 1 when something must be fixed; the deploy workflow runs it first.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import { readSettings } from '../infra/settings.ts';
import {
  awsChecks,
  defaultClients,
  formatReport,
  type LocalFacts,
  localChecks,
  type StackFacts,
} from './doctor/checks.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { stage: { type: 'string', default: 'dev' } } });

function versionOf(command: string): string | undefined {
  const result = spawnSync(command, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? `${result.stdout}${result.stderr}`.trim().split('\n')[0] : undefined;
}

const context = (JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;
// The stage's profile (prod has its own defaults), with the user's cdk.json context on top.
const settings = readSettings(new App({ context: { ...context, profile: values.stage } }).node);
const stack: StackFacts = {
  // The API's reservation plus the idempotency sweep's one.
  reservedConcurrency: settings.apiReservedConcurrency + 1,
  alarmEmail: settings.alarmEmail,
  budgetUsd: settings.budgetUsd,
  qualifier: (context['@aws-cdk/core:bootstrapQualifier'] as string | undefined) ?? 'hnb659fds',
};
const local: LocalFacts = {
  nodeVersion: process.version,
  npmVersion: versionOf('npm'),
  gitVersion: versionOf('git'),
  awsCliVersion: versionOf('aws'),
};

console.log(`Taskboard doctor (stage ${values.stage})`);
const checks = [...localChecks(local, stack), ...(await awsChecks(defaultClients(), stack))];
console.log(formatReport(checks));
process.exit(checks.some((check) => check.outcome === 'fail') ? 1 : 0);
