/**
 * The one-time access stack for GitHub Actions (`npm run deploy:ci-access -- -c githubRepo=owner/name`):
 * the account's GitHub OIDC provider (created, or imported when the account already has one) and one
 * deploy role per stage. A workflow job exchanges its OIDC token for a role's credentials; no access key
 * exists anywhere. Each role trusts only tokens for `sts.amazonaws.com` whose subject is exactly this
 * repository's GitHub environment of that stage (dev also accepts a push to main), and may do one
 * thing: assume the CDK bootstrap roles of this account and region (deploy, file publishing, lookup),
 * the least-privilege pattern CDK documents. What those roles may do is the bootstrap's business.
 */
import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** GitHub's OIDC issuer for Actions, without the scheme (the IAM condition keys' prefix). */
export const githubIssuer = 'token.actions.githubusercontent.com';
/** The audience configure-aws-credentials asks for. */
export const stsAudience = 'sts.amazonaws.com';
/** CDK's default bootstrap qualifier. */
export const defaultQualifier = 'hnb659fds';
/** The CDK bootstrap roles a deploy needs; not the image-publishing role (no container assets). */
export const bootstrapRoleKinds = ['deploy-role', 'file-publishing-role', 'lookup-role'] as const;

/** Thrown for a missing or malformed setting of the access stack; names the context key. */
export class CiAccessSettingsError extends Error {
  constructor(key: string, problem: string) {
    super(`-c ${key} ${problem}`);
    this.name = 'CiAccessSettingsError';
  }
}

export interface CiAccessSettings {
  /** `owner/name` of the one repository whose workflows may deploy. */
  githubRepo: string;
  /** Stages, each a GitHub environment of the same name with its own role. */
  stages: string[];
  /** The stage whose role also trusts a push to main (the deploy on every push). */
  mainStage: string;
  /** `create` a provider, or `existing`: import the account's (IAM allows one per issuer URL). */
  oidcProvider: 'create' | 'existing';
  /** The CDK bootstrap qualifier (`cdk bootstrap --qualifier`). */
  qualifier: string;
}

const repoPattern = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
const namePattern = /^[a-z][a-z0-9-]{0,31}$/;

/** Reads and validates the settings from CDK context (`-c key=value`); throws naming a bad key. */
export function readCiAccessSettings(context: (key: string) => unknown): CiAccessSettings {
  const text = (key: string, fallback?: string): string => {
    const value = context(key) ?? fallback;
    if (typeof value !== 'string' || value === '') throw new CiAccessSettingsError(key, 'must be set');
    return value;
  };
  const githubRepo = text('githubRepo');
  if (!repoPattern.test(githubRepo)) {
    throw new CiAccessSettingsError('githubRepo', `must be owner/name with no wildcard (got ${githubRepo})`);
  }
  const stages = text('ciStages', 'dev,prod')
    .split(',')
    .map((stage) => stage.trim());
  for (const stage of stages) {
    if (!namePattern.test(stage)) throw new CiAccessSettingsError('ciStages', `has a bad stage name: ${stage}`);
  }
  if (new Set(stages).size !== stages.length) throw new CiAccessSettingsError('ciStages', 'repeats a stage');
  const mainStage = text('ciMainStage', stages[0]);
  if (!stages.includes(mainStage))
    throw new CiAccessSettingsError('ciMainStage', `must be one of ${stages.join(', ')}`);
  const oidcProvider = text('githubOidcProvider', 'create');
  if (oidcProvider !== 'create' && oidcProvider !== 'existing') {
    throw new CiAccessSettingsError('githubOidcProvider', 'must be create or existing');
  }
  const qualifier = text('bootstrapQualifier', defaultQualifier);
  if (!/^[a-z0-9]{1,10}$/.test(qualifier))
    throw new CiAccessSettingsError('bootstrapQualifier', 'must be 1-10 of a-z0-9');
  return { githubRepo, stages, mainStage, oidcProvider, qualifier };
}

/** The exact `sub` claims a stage's role trusts. */
export function trustedSubjects(settings: CiAccessSettings, stage: string): string[] {
  const subjects = [`repo:${settings.githubRepo}:environment:${stage}`];
  if (stage === settings.mainStage) subjects.push(`repo:${settings.githubRepo}:ref:refs/heads/main`);
  return subjects;
}

/** The role name of a stage, which the workflow's `AWS_ROLE_ARN` variable names. */
export const deployRoleName = (stage: string) => `taskboard-github-deploy-${stage}`;

export class CiAccessStack extends Stack {
  constructor(scope: Construct, id: string, settings: CiAccessSettings, props?: StackProps) {
    super(scope, id, props);
    const provider =
      settings.oidcProvider === 'existing'
        ? iam.OidcProviderNative.fromOidcProviderArn(
            this,
            'GitHubOidcProvider',
            `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${githubIssuer}`,
          )
        : new iam.OidcProviderNative(this, 'GitHubOidcProvider', {
            url: `https://${githubIssuer}`,
            clientIds: [stsAudience],
          });

    const bootstrapRoles = bootstrapRoleKinds.map(
      (kind) =>
        `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${settings.qualifier}-${kind}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
    );
    for (const stage of settings.stages) {
      const role = new iam.Role(this, `DeployRole-${stage}`, {
        roleName: deployRoleName(stage),
        description: `GitHub Actions deploys stage ${stage} of ${settings.githubRepo} through the CDK bootstrap roles`,
        maxSessionDuration: Duration.hours(1),
        assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
          StringEquals: {
            [`${githubIssuer}:aud`]: stsAudience,
            [`${githubIssuer}:sub`]: trustedSubjects(settings, stage),
          },
        }),
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AssumeCdkBootstrapRoles',
          actions: ['sts:AssumeRole'],
          resources: bootstrapRoles,
        }),
      );
      new CfnOutput(this, `DeployRoleArn-${stage}`, {
        value: role.roleArn,
        description: `GitHub environment "${stage}": variable AWS_ROLE_ARN`,
      });
    }
  }
}
