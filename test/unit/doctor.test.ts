/**
 * npm run doctor against AWS's API shapes: the SDK clients are real, their transport is replaced by
 * aws-sdk-client-mock, whose responses are typed by each command's output shape.
 */
import { BudgetsClient, DescribeBudgetsCommand } from '@aws-sdk/client-budgets';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AwsClients,
  awsChecks,
  type Check,
  formatReport,
  localChecks,
  type StackFacts,
} from '../../scripts/doctor/checks.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };
const sts = mockClient(STSClient);
const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);
const budgets = mockClient(BudgetsClient);

/** `null`: no region configured anywhere. */
const buildClients = (region: string | null = 'eu-west-1'): AwsClients => ({
  region: async () => region ?? undefined,
  sts: new STSClient({ region: 'us-east-1', credentials }),
  ssm: new SSMClient({ region: region ?? 'us-east-1', credentials }),
  lambda: new LambdaClient({ region: region ?? 'us-east-1', credentials }),
  budgets: new BudgetsClient({ region: 'us-east-1', credentials }),
});
const buildStack = (overrides: Partial<StackFacts> = {}): StackFacts => ({
  reservedConcurrency: 6,
  alarmEmail: 'ops@example.com',
  budgetUsd: 20,
  qualifier: 'hnb659fds',
  ...overrides,
});
const named = (checks: Check[], name: string) => checks.find((check) => check.name === name);

beforeEach(() => {
  for (const mock of [sts, ssm, lambda, budgets]) mock.reset();
  sts.on(GetCallerIdentityCommand).resolves({
    Account: '123456789012',
    Arn: 'arn:aws:sts::123456789012:assumed-role/admin/alice',
    UserId: 'AROAEXAMPLE:alice',
  });
  ssm.on(GetParameterCommand).resolves({
    Parameter: { Name: '/cdk-bootstrap/hnb659fds/version', Type: 'String', Value: '29', Version: 1 },
  });
  lambda.on(GetAccountSettingsCommand).resolves({
    AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 },
    AccountUsage: { FunctionCount: 0 },
  });
  budgets.on(DescribeBudgetsCommand).resolves({
    Budgets: [
      { BudgetName: 'monthly', BudgetLimit: { Amount: '20.0', Unit: 'USD' }, BudgetType: 'COST', TimeUnit: 'MONTHLY' },
    ],
  });
});

describe('doctor: the AWS half', () => {
  it('in a ready account, passes every check and names the account and ARN from sts:GetCallerIdentity', async () => {
    const checks = await awsChecks(buildClients(), buildStack());

    expect(checks.map((check) => [check.name, check.outcome])).toEqual([
      ['AWS credentials', 'pass'],
      ['region', 'pass'],
      ['CDK bootstrap', 'pass'],
      ['Lambda concurrency', 'pass'],
      ['budget', 'pass'],
    ]);
    expect(named(checks, 'AWS credentials')?.detail).toBe(
      'account 123456789012 as arn:aws:sts::123456789012:assumed-role/admin/alice',
    );
    expect(named(checks, 'region')?.detail).toBe('eu-west-1');
    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/cdk-bootstrap/hnb659fds/version',
    });
    expect(budgets.commandCalls(DescribeBudgetsCommand)[0]?.args[0].input).toMatchObject({ AccountId: '123456789012' });
    expect(formatReport(checks)).toMatch(/Ready to deploy\.$/);
  });

  it('when the region is not bootstrapped (ParameterNotFound), fails with the cdk bootstrap command for this account and region', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));

    const check = named(await awsChecks(buildClients(), buildStack()), 'CDK bootstrap');

    expect(check).toMatchObject({ outcome: 'fail', fix: 'npx cdk bootstrap aws://123456789012/eu-west-1' });
  });

  it('when the bootstrap is older than this CDK needs, fails and says which version it found', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/cdk-bootstrap/hnb659fds/version', Value: '4' } });

    const check = named(await awsChecks(buildClients(), buildStack()), 'CDK bootstrap');

    expect(check?.outcome).toBe('fail');
    expect(check?.detail).toContain('version 4');
  });

  it('reads the bootstrap version under a custom qualifier', async () => {
    await awsChecks(buildClients(), buildStack({ qualifier: 'team42' }));

    expect(ssm.commandCalls(GetParameterCommand)[0]?.args[0].input.Name).toBe('/cdk-bootstrap/team42/version');
  });

  it('in a new account (concurrency limit 10), fails a reservation that would leave fewer than 100 unreserved, naming the quota increase', async () => {
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
    });

    const check = named(await awsChecks(buildClients(), buildStack({ reservedConcurrency: 6 })), 'Lambda concurrency');

    expect(check?.outcome).toBe('fail');
    expect(check?.detail).toContain('would leave 4, Lambda requires 100');
    expect(check?.fix).toContain('request-service-quota-increase --service-code lambda --quota-code L-B99A9384');
  });

  it('counts other functions’ reservations: passes only when the unreserved rest covers the stack and 100', async () => {
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 105 },
    });

    const tight = named(await awsChecks(buildClients(), buildStack({ reservedConcurrency: 6 })), 'Lambda concurrency');
    const fits = named(await awsChecks(buildClients(), buildStack({ reservedConcurrency: 5 })), 'Lambda concurrency');

    expect(tight?.outcome).toBe('fail');
    expect(fits?.outcome).toBe('pass');
  });

  it('passes a new account when the stack reserves nothing (reserved concurrency 0)', async () => {
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
    });

    const check = named(await awsChecks(buildClients(), buildStack({ reservedConcurrency: 0 })), 'Lambda concurrency');

    expect(check?.outcome).toBe('pass');
  });

  it('without a budget in the account: passes when the deploy creates one (budgetUsd), fails when it would not', async () => {
    budgets.on(DescribeBudgetsCommand).resolves({ Budgets: [] });

    const created = named(await awsChecks(buildClients(), buildStack({ budgetUsd: 20 })), 'budget');
    const none = named(await awsChecks(buildClients(), buildStack({ budgetUsd: 0 })), 'budget');

    expect(created).toMatchObject({ outcome: 'pass' });
    expect(created?.detail).toContain('20 USD');
    expect(none).toMatchObject({ outcome: 'fail' });
  });

  it('when Budgets denies access, fails naming the error instead of throwing', async () => {
    budgets
      .on(DescribeBudgetsCommand)
      .rejects(
        Object.assign(new Error('not authorized to perform budgets:ViewBudget'), { name: 'AccessDeniedException' }),
      );

    const check = named(await awsChecks(buildClients(), buildStack()), 'budget');

    expect(check?.outcome).toBe('fail');
    expect(check?.detail).toContain('budgets:ViewBudget');
  });

  it('without credentials, fails that one check with the command to sign in, and asks AWS nothing else', async () => {
    sts
      .on(GetCallerIdentityCommand)
      .rejects(
        Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      );

    const checks = await awsChecks(buildClients(), buildStack());

    expect(checks.map((check) => [check.name, check.outcome])).toEqual([
      ['AWS credentials', 'fail'],
      ['region', 'unchecked'],
      ['CDK bootstrap', 'unchecked'],
      ['Lambda concurrency', 'unchecked'],
      ['budget', 'unchecked'],
    ]);
    expect(named(checks, 'AWS credentials')?.fix).toContain('aws configure sso');
    expect(ssm.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
    expect(budgets.calls()).toHaveLength(0);
    expect(formatReport(checks)).toContain(
      'Not checked without AWS credentials: region, CDK bootstrap, Lambda concurrency, budget.',
    );
  });

  it('without a region, fails that check with the command to set one and leaves the regional checks unchecked', async () => {
    const checks = await awsChecks(buildClients(null), buildStack());

    expect(named(checks, 'region')).toMatchObject({
      outcome: 'fail',
      fix: expect.stringContaining('aws configure set region'),
    });
    expect(named(checks, 'CDK bootstrap')?.outcome).toBe('unchecked');
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('doctor: the local half', () => {
  const local = {
    nodeVersion: 'v24.22.3',
    npmVersion: '11.6.2',
    gitVersion: 'git version 2.47.0',
    awsCliVersion: undefined,
  };

  it('passes tested Node versions, fails others with the command to install 24, and treats the AWS CLI as optional', () => {
    const ok = localChecks(local, buildStack());
    const old = localChecks({ ...local, nodeVersion: 'v18.20.4' }, buildStack());

    expect(named(ok, 'Node.js')?.outcome).toBe('pass');
    expect(named(ok, 'AWS CLI (optional)')?.outcome).toBe('optional');
    expect(named(old, 'Node.js')).toMatchObject({ outcome: 'fail', fix: 'nvm install 24 && nvm use 24' });
  });

  it('fails a missing Git or alarmEmail with how to fix it', () => {
    const checks = localChecks({ ...local, gitVersion: undefined }, buildStack({ alarmEmail: undefined }));

    expect(named(checks, 'Git')?.outcome).toBe('fail');
    expect(named(checks, 'alarmEmail')?.fix).toContain('alarmEmail');
  });
});
