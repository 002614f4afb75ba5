/**
 * `npm run doctor`: the prerequisites of a deploy, checked before anything is created. The local half
 * (Node, npm, Git, the AWS CLI, the stack's settings) needs nothing; the AWS half resolves credentials
 * through the SDK's default chain and asks STS, SSM, Lambda and Budgets. Each check is ✔ or ✘ with the
 * command that fixes it; without credentials the AWS half says what it could not check.
 */
import { BudgetsClient, DescribeBudgetsCommand } from '@aws-sdk/client-budgets';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export type Outcome = 'pass' | 'fail' | 'optional' | 'unchecked';

export interface Check {
  name: string;
  outcome: Outcome;
  detail: string;
  /** The command (or step) that fixes a failure. */
  fix?: string;
}

/** The Node.js majors the project is tested on (package.json engines, ci.yml's matrix, .ci/run). */
export const testedNodeMajors = [20, 22, 24, 26] as const;
/** The CDK bootstrap version this CDK's synthesised stacks require (`requiresBootstrapStackVersion`). */
export const requiredBootstrapVersion = 6;
/** Lambda refuses a reservation that leaves the account fewer unreserved executions than this. */
export const minimumUnreserved = 100;

/** What the doctor reads from the machine; the CLI passes the real ones, tests their own. */
export interface LocalFacts {
  nodeVersion: string;
  /** `npm --version`, `git --version`, `aws --version`: their output, or undefined when missing. */
  npmVersion: string | undefined;
  gitVersion: string | undefined;
  awsCliVersion: string | undefined;
}

/** The stack's settings that bear on the account (infra/settings.ts). */
export interface StackFacts {
  /** Reserved concurrency of every function of the stack, summed; 0 when nothing is reserved. */
  reservedConcurrency: number;
  alarmEmail: string | undefined;
  budgetUsd: number;
  /** The bootstrap qualifier (cdk.json's `@aws-cdk/core:bootstrapQualifier`, default hnb659fds). */
  qualifier: string;
}

export interface AwsClients {
  /** The region of the default chain (AWS_REGION, the profile), undefined when none is configured. */
  region: () => Promise<string | undefined>;
  sts: STSClient;
  ssm: SSMClient;
  lambda: LambdaClient;
  budgets: BudgetsClient;
}

/**
 * Clients on the SDK's default credential chain and region. STS is asked in us-east-1 (always enabled),
 * so that the credentials are checked even where no region is configured; Budgets lives there too.
 */
export function defaultClients(): AwsClients {
  const ssm = new SSMClient({});
  return {
    region: () => ssm.config.region().catch(() => undefined),
    ssm,
    sts: new STSClient({ region: 'us-east-1' }),
    lambda: new LambdaClient({}),
    budgets: new BudgetsClient({ region: 'us-east-1' }),
  };
}

const major = (version: string) => Number(/(\d+)\./.exec(version)?.[1] ?? Number.NaN);

export function localChecks(local: LocalFacts, stack: StackFacts): Check[] {
  const node = major(local.nodeVersion);
  const checks: Check[] = [
    (testedNodeMajors as readonly number[]).includes(node)
      ? { name: 'Node.js', outcome: 'pass', detail: `${local.nodeVersion} (tested: ${testedNodeMajors.join(', ')})` }
      : {
          name: 'Node.js',
          outcome: 'fail',
          detail: `${local.nodeVersion} is not a tested version (${testedNodeMajors.join(', ')})`,
          fix: 'nvm install 24 && nvm use 24',
        },
    local.npmVersion && major(local.npmVersion) >= 10
      ? { name: 'npm', outcome: 'pass', detail: local.npmVersion }
      : {
          name: 'npm',
          outcome: 'fail',
          detail: local.npmVersion ? `${local.npmVersion} is older than 10` : 'not found',
          fix: 'npm install -g npm@latest',
        },
    local.gitVersion
      ? { name: 'Git', outcome: 'pass', detail: local.gitVersion }
      : {
          name: 'Git',
          outcome: 'fail',
          detail: 'not found',
          fix: 'sudo apt-get install git (macOS: xcode-select --install)',
        },
    local.awsCliVersion
      ? { name: 'AWS CLI (optional)', outcome: 'pass', detail: local.awsCliVersion }
      : {
          name: 'AWS CLI (optional)',
          outcome: 'optional',
          detail: 'not installed; deploying does not need it, signing in with SSO does',
          fix: 'see "Installing the AWS CLI" in the AWS CLI user guide',
        },
    stack.alarmEmail
      ? { name: 'alarmEmail', outcome: 'pass', detail: `alarms and budget alerts go to ${stack.alarmEmail}` }
      : {
          name: 'alarmEmail',
          outcome: 'fail',
          detail: 'not set: alarms and budget alerts reach nobody',
          fix: 'add "alarmEmail": "you@example.com" to cdk.json\'s context (or -c alarmEmail=you@example.com)',
        },
  ];
  return checks;
}

const errorName = (error: unknown) => (error as { name?: string } | null)?.name ?? '';
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The AWS half. Never throws: an AWS error is a ✘ naming it. */
export async function awsChecks(clients: AwsClients, stack: StackFacts): Promise<Check[]> {
  const checks: Check[] = [];
  let identity: { Account?: string; Arn?: string };
  try {
    identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  } catch (error) {
    const noCredentials = /credential/i.test(`${errorName(error)} ${errorText(error)}`);
    checks.push({
      name: 'AWS credentials',
      outcome: 'fail',
      detail: noCredentials
        ? 'none found by the SDK’s default chain (environment, shared config and SSO, container or instance role)'
        : `sts:GetCallerIdentity failed: ${errorText(error)}`,
      fix: 'aws configure sso (or aws configure), then export AWS_PROFILE=<profile>',
    });
    for (const name of ['region', 'CDK bootstrap', 'Lambda concurrency', 'budget']) {
      checks.push({ name, outcome: 'unchecked', detail: 'not checked: needs AWS credentials' });
    }
    return checks;
  }
  const account = identity.Account ?? '';
  checks.push({ name: 'AWS credentials', outcome: 'pass', detail: `account ${account} as ${identity.Arn}` });

  const region = await clients.region();
  if (!region) {
    checks.push({
      name: 'region',
      outcome: 'fail',
      detail: 'no region in AWS_REGION or the profile',
      fix: 'aws configure set region eu-west-1 (or export AWS_REGION=eu-west-1)',
    });
    for (const name of ['CDK bootstrap', 'Lambda concurrency']) {
      checks.push({ name, outcome: 'unchecked', detail: 'not checked: needs a region' });
    }
  } else {
    checks.push({ name: 'region', outcome: 'pass', detail: region });
    checks.push(await bootstrapCheck(clients, stack, account, region));
    checks.push(await concurrencyCheck(clients, stack));
  }
  checks.push(await budgetCheck(clients, stack, account));
  return checks;
}

async function bootstrapCheck(clients: AwsClients, stack: StackFacts, account: string, region: string): Promise<Check> {
  const name = `/cdk-bootstrap/${stack.qualifier}/version`;
  const fix = `npx cdk bootstrap aws://${account}/${region}`;
  try {
    const { Parameter } = await clients.ssm.send(new GetParameterCommand({ Name: name }));
    const version = Number(Parameter?.Value);
    return version >= requiredBootstrapVersion
      ? {
          name: 'CDK bootstrap',
          outcome: 'pass',
          detail: `version ${version} in ${region} (needs ${requiredBootstrapVersion})`,
        }
      : {
          name: 'CDK bootstrap',
          outcome: 'fail',
          detail: `version ${Parameter?.Value} in ${region}; this CDK needs ${requiredBootstrapVersion} or later`,
          fix,
        };
  } catch (error) {
    return errorName(error) === 'ParameterNotFound'
      ? { name: 'CDK bootstrap', outcome: 'fail', detail: `${region} is not bootstrapped (no ${name})`, fix }
      : { name: 'CDK bootstrap', outcome: 'fail', detail: `could not read ${name}: ${errorText(error)}`, fix };
  }
}

async function concurrencyCheck(clients: AwsClients, stack: StackFacts): Promise<Check> {
  try {
    const { AccountLimit } = await clients.lambda.send(new GetAccountSettingsCommand({}));
    const limit = AccountLimit?.ConcurrentExecutions ?? 0;
    const unreserved = AccountLimit?.UnreservedConcurrentExecutions ?? limit;
    if (stack.reservedConcurrency === 0) {
      return { name: 'Lambda concurrency', outcome: 'pass', detail: `account limit ${limit}; the stack reserves none` };
    }
    const left = unreserved - stack.reservedConcurrency;
    return left >= minimumUnreserved
      ? {
          name: 'Lambda concurrency',
          outcome: 'pass',
          detail: `account limit ${limit}, ${unreserved} unreserved; reserving ${stack.reservedConcurrency} leaves ${left}`,
        }
      : {
          name: 'Lambda concurrency',
          outcome: 'fail',
          detail: `account limit ${limit}, ${unreserved} unreserved: reserving ${stack.reservedConcurrency} would leave ${left}, Lambda requires ${minimumUnreserved}`,
          fix: 'aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 1000 (or deploy with -c apiReservedConcurrency=0 -c sweepReservedConcurrency=0: nothing reserved)',
        };
  } catch (error) {
    return {
      name: 'Lambda concurrency',
      outcome: 'fail',
      detail: `lambda:GetAccountSettings failed: ${errorText(error)}`,
    };
  }
}

async function budgetCheck(clients: AwsClients, stack: StackFacts, account: string): Promise<Check> {
  try {
    const { Budgets } = await clients.budgets.send(new DescribeBudgetsCommand({ AccountId: account, MaxResults: 100 }));
    const budgets = Budgets ?? [];
    if (budgets.length > 0) {
      const names = budgets.map(
        (budget) => `${budget.BudgetName} (${budget.BudgetLimit?.Amount} ${budget.BudgetLimit?.Unit})`,
      );
      return { name: 'budget', outcome: 'pass', detail: `the account has ${names.join(', ')}` };
    }
    return stack.budgetUsd > 0
      ? {
          name: 'budget',
          outcome: 'pass',
          detail: `none yet; the deploy creates one of ${stack.budgetUsd} USD a month (budgetUsd)`,
        }
      : {
          name: 'budget',
          outcome: 'fail',
          detail: 'the account has no budget and budgetUsd is 0',
          fix: 'add "budgetUsd": 20 to cdk.json\'s context',
        };
  } catch (error) {
    return {
      name: 'budget',
      outcome: 'fail',
      detail: `budgets:DescribeBudgets failed: ${errorText(error)}`,
      fix: 'allow budgets:ViewBudget to the deploying principal, or check the budget in the Billing console',
    };
  }
}

const marks: Record<Outcome, string> = { pass: '✔', fail: '✘', optional: '–', unchecked: '?' };

/** The report, one line per check, a fix under each failure, and a closing line. */
export function formatReport(checks: Check[]): string {
  const lines = checks.map((check) => {
    const line = `${marks[check.outcome]} ${check.name}: ${check.detail}`;
    return check.fix && check.outcome !== 'pass' ? `${line}\n    fix: ${check.fix}` : line;
  });
  const failed = checks.filter((check) => check.outcome === 'fail').length;
  const unchecked = checks.filter((check) => check.outcome === 'unchecked').map((check) => check.name);
  lines.push(
    failed === 0 && unchecked.length === 0
      ? 'Ready to deploy.'
      : [
          failed > 0 ? `${failed} to fix before deploying.` : '',
          unchecked.length > 0 ? `Not checked without AWS credentials: ${unchecked.join(', ')}.` : '',
        ]
          .filter(Boolean)
          .join(' '),
  );
  return lines.join('\n');
}
