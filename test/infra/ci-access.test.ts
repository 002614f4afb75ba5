/**
 * The one-time access stack for GitHub Actions: whom each deploy role trusts (audience, exact subject,
 * main only for the main stage, no wildcard) and what it may do (assume the CDK bootstrap roles of its
 * own account and region, nothing else).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import {
  type CiAccessSettings,
  CiAccessSettingsError,
  CiAccessStack,
  readCiAccessSettings,
} from '../../infra/ci-access/ci-access-stack.ts';
import { render } from './support/synthesize.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Principal?: { Federated?: unknown };
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface RoleResource {
  Properties: { RoleName: string; AssumeRolePolicyDocument: { Statement: Statement[] } };
}

function synthesize(context: Record<string, string>) {
  const app = new App({ context });
  const settings: CiAccessSettings = readCiAccessSettings((key) => app.node.tryGetContext(key));
  const stack = new CiAccessStack(app, 'TaskboardCiAccess', settings);
  const template = Template.fromStack(stack);
  const roles = template.findResources('AWS::IAM::Role') as Record<string, RoleResource>;
  const roleNamed = (name: string) => {
    const role = Object.values(roles).find((candidate) => candidate.Properties.RoleName === name);
    if (!role) throw new Error(`no role ${name}`);
    return role.Properties.AssumeRolePolicyDocument.Statement;
  };
  return { stack, template, roles, roleNamed };
}

const repo = { githubRepo: 'acme/taskboard' };

describe('CiAccessStack trust', () => {
  it('trusts, for dev, only tokens for sts.amazonaws.com from this repository’s dev environment or a push to main', () => {
    const { roleNamed } = synthesize(repo);

    const [statement, ...others] = roleNamed('taskboard-github-deploy-dev');

    expect(others).toEqual([]);
    expect(statement?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(statement?.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': [
          'repo:acme/taskboard:environment:dev',
          'repo:acme/taskboard:ref:refs/heads/main',
        ],
      },
    });
  });

  it('trusts, for prod, only its own environment: not a push to main, not another stage', () => {
    const { roleNamed } = synthesize(repo);

    const [statement] = roleNamed('taskboard-github-deploy-prod');

    expect(statement?.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': ['repo:acme/taskboard:environment:prod'],
      },
    });
  });

  it('has no wildcard subject and no StringLike condition in any role', () => {
    const { roles } = synthesize({ ...repo, ciStages: 'dev,staging,prod' });

    const statements = Object.values(roles).flatMap((role) => role.Properties.AssumeRolePolicyDocument.Statement);

    expect(statements).toHaveLength(3);
    for (const statement of statements) {
      expect(Object.keys(statement.Condition ?? {})).toEqual(['StringEquals']);
      expect(JSON.stringify(statement.Condition)).not.toMatch(/[*?]/);
    }
  });

  it('refuses a repository with a wildcard or without an owner', () => {
    for (const githubRepo of ['acme/*', '*', 'taskboard', 'acme/task*', '']) {
      expect(() => synthesize({ githubRepo }), githubRepo).toThrow(CiAccessSettingsError);
    }
    expect(() => synthesize({})).toThrow('-c githubRepo must be set');
  });

  it('creates the GitHub OIDC provider for sts.amazonaws.com and federates the roles with it', () => {
    const { template, roleNamed } = synthesize(repo);

    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    expect(render(roleNamed('taskboard-github-deploy-dev')[0]?.Principal?.Federated)).toMatch(/^<GitHubOidcProvider/);
  });

  it('with githubOidcProvider=existing, creates none and trusts the account’s own provider', () => {
    const { template, roleNamed } = synthesize({ ...repo, githubOidcProvider: 'existing' });

    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(render(roleNamed('taskboard-github-deploy-prod')[0]?.Principal?.Federated)).toBe(
      'arn:<AWS::Partition>:iam::<AWS::AccountId>:oidc-provider/token.actions.githubusercontent.com',
    );
  });
});

describe('CiAccessStack permissions', () => {
  it('lets each role do one thing: assume the CDK deploy, file-publishing and lookup roles of this account and region', () => {
    const { template } = synthesize(repo);

    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: Statement[] }; Roles: unknown[] };
    }[];

    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toHaveLength(1);
      const [statement] = policy.Properties.PolicyDocument.Statement;
      expect(statement?.Effect).toBe('Allow');
      expect(statement?.Action).toBe('sts:AssumeRole');
      const resources = ((statement?.Resource ?? []) as unknown[]).map(render);
      expect(resources).toEqual(
        ['deploy-role', 'file-publishing-role', 'lookup-role'].map(
          (kind) =>
            `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-${kind}-<AWS::AccountId>-<AWS::Region>`,
        ),
      );
    }
    expect(JSON.stringify(template.toJSON())).not.toMatch(/ManagedPolicyArns|"Resource":"\*"/);
  });

  it('passes cdk-nag’s AwsSolutions checks without an acknowledgement', () => {
    const { stack } = synthesize(repo);

    const report = new AwsSolutionsChecks().validateScope(stack);

    expect(report.violations).toEqual([]);
  });
});
