import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CloudFormationTemplate,
  dependsOn,
  render,
  resourcesOfType,
  type Synthesized,
  synthesizeTaskboard,
} from './support/synthesize.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every IAM statement of the template, with the resource that carries it. */
function iamStatements(json: CloudFormationTemplate): { owner: string; statement: Statement }[] {
  const found: { owner: string; statement: Statement }[] = [];
  for (const [id, resource] of Object.entries(json.Resources)) {
    const properties = resource.Properties ?? {};
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(properties.PolicyDocument);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of list(properties.Policies as { PolicyDocument: unknown }[] | undefined)) {
        documents.push(policy.PolicyDocument);
      }
    }
    for (const document of documents) {
      for (const statement of list((document as { Statement: Statement[] }).Statement)) {
        found.push({ owner: id, statement });
      }
    }
  }
  return found;
}

/** Actions AWS does not let a policy scope to a resource; `*` is allowed for these only. */
const unscopableActions = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  // Lambda requires them of whoever attaches subnets and security groups (the rotations' IPv6 switch).
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVpcs',
]);

/** The secrets a function's role may read (`secretsmanager:GetSecretValue`), rendered. */
function readableSecrets(synthesized: Synthesized, role: IConstruct): string[] {
  const roleId = synthesized.logicalId(role);
  const policies = resourcesOfType(synthesized.json, 'AWS::IAM::Policy')
    .filter(([, policy]) => list(policy.Properties?.Roles as unknown[]).some((r) => render(r) === `<${roleId}>`))
    .map(([id]) => id);
  return iamStatements(synthesized.json)
    .filter(({ owner }) => policies.includes(owner))
    .filter(({ statement }) => list(statement.Action).includes('secretsmanager:GetSecretValue'))
    .flatMap(({ statement }) => list(statement.Resource).map(render))
    .sort();
}

/** Whether the resource graph (Ref, Fn::GetAtt, DependsOn) has a cycle CloudFormation would reject. */
function findCycle(json: CloudFormationTemplate): string[] | undefined {
  const edges = new Map<string, Set<string>>();
  const collect = (value: unknown, into: Set<string>) => {
    if (Array.isArray(value)) for (const item of value) collect(item, into);
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key === 'Ref' && typeof item === 'string') into.add(item);
        else if (key === 'Fn::GetAtt' && Array.isArray(item)) into.add(String(item[0]));
        else collect(item, into);
      }
    }
  };
  for (const [id, resource] of Object.entries(json.Resources)) {
    const targets = new Set(dependsOn(resource));
    collect(resource.Properties, targets);
    edges.set(id, new Set([...targets].filter((target) => target in json.Resources)));
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 'visiting');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      if (state.get(next) === 'visiting') return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    if (!state.has(id)) {
      const cycle = visit(id);
      if (cycle) return cycle;
    }
  }
  return undefined;
}

describe('Least privilege', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
  });

  it('names specific resources in every IAM statement, except for actions AWS cannot scope', () => {
    const statements = iamStatements(synthesized.json);
    expect(statements.length).toBeGreaterThan(0);

    for (const { owner, statement } of statements) {
      if (!list(statement.Resource).includes('*')) continue;
      for (const action of list(statement.Action)) {
        // CDK's log-retention function learns the RDS log group's name at deploy time.
        const logRetention = owner.startsWith('LogRetention') && /^logs:(Put|Delete)RetentionPolicy$/.test(action);
        expect(unscopableActions.has(action) || logRetention, `${owner}: ${action} on *`).toBe(true);
      }
    }
  });

  it('grants no wildcard action', () => {
    for (const { owner, statement } of iamStatements(synthesized.json)) {
      for (const action of list(statement.Action)) expect(action, owner).not.toMatch(/^\*$|:\*$/);
    }
  });

  it('attaches no SecretsManagerReadWrite or administrator managed policy', () => {
    for (const [id, role] of resourcesOfType(synthesized.json, 'AWS::IAM::Role')) {
      for (const arn of list(role.Properties?.ManagedPolicyArns as unknown[]).map(render)) {
        expect(arn, id).not.toMatch(/SecretsManagerReadWrite|AdministratorAccess|PowerUserAccess/);
      }
    }
  });

  it('lets the API function read exactly the application database secret and the origin-verify secret', () => {
    const { stack } = synthesized;

    expect(readableSecrets(synthesized, stack.api.function.executionRole)).toEqual(
      [
        `<${synthesized.logicalId(stack.database.appSecret)}>`,
        `<${synthesized.logicalId(stack.edge.originVerifySecret)}>`,
      ].sort(),
    );
  });

  it('lets only the migration function read the master secret', () => {
    const { stack } = synthesized;
    const master = `<${synthesized.logicalId(stack.database.masterSecret)}>`;

    expect(readableSecrets(synthesized, stack.migrations.function.executionRole)).toEqual(
      [`<${synthesized.logicalId(stack.database.appSecret)}>`, master].sort(),
    );
    expect(readableSecrets(synthesized, stack.api.function.executionRole)).not.toContain(master);
  });

  it('lets each function write only to its own log group', () => {
    const { stack } = synthesized;
    for (const fn of [stack.api.function, stack.migrations.function]) {
      const roleId = synthesized.logicalId(fn.executionRole);
      const policy = resourcesOfType(synthesized.json, 'AWS::IAM::Policy').find(([, p]) =>
        list(p.Properties?.Roles as unknown[]).some((r) => render(r) === `<${roleId}>`),
      );
      const logStatements = iamStatements(synthesized.json)
        .filter(({ owner }) => owner === policy?.[0])
        .filter(({ statement }) => list(statement.Action).some((action) => action.startsWith('logs:')));

      expect(logStatements.map(({ statement }) => list(statement.Resource).map(render))).toEqual([
        [`<${synthesized.logicalId(fn.functionLogGroup)}.Arn>`],
      ]);
    }
  });
});

describe('Logging', () => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard();
  });

  it('sets a retention on every log group', () => {
    const groups = resourcesOfType(synthesized.json, 'AWS::Logs::LogGroup');

    expect(groups.length).toBeGreaterThan(0);
    for (const [id, group] of groups) expect(group.Properties?.RetentionInDays, id).toBe(7);
  });

  it('creates API Gateway’s execution log group (API-Gateway-Execution-Logs_<id>/<stage>) before the stage', () => {
    const { stack } = synthesized;
    const groupId = synthesized.logicalId(stack.api.executionLogs);
    const group = synthesized.json.Resources[groupId];
    const stage = synthesized.json.Resources[synthesized.logicalId(stack.api.stage)];

    expect(render(group?.Properties?.LogGroupName)).toBe(
      `API-Gateway-Execution-Logs_<${synthesized.logicalId(stack.api.restApi)}>/v1`,
    );
    expect(dependsOn(stage ?? { Type: '' })).toContain(groupId);
  });

  it('sends every Lambda function in the template to a log group of the template', () => {
    const groups = new Set(resourcesOfType(synthesized.json, 'AWS::Logs::LogGroup').map(([id]) => `<${id}>`));

    for (const [id, fn] of resourcesOfType(synthesized.json, 'AWS::Lambda::Function')) {
      const loggingConfig = fn.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined;
      expect(groups.has(render(loggingConfig?.LogGroup)), id).toBe(true);
    }
  });

  it('creates the rotation functions’ log groups, by their function names, before the rotation functions', () => {
    for (const [id, application] of resourcesOfType(synthesized.json, 'AWS::Serverless::Application')) {
      const { functionName } = (application.Properties?.Parameters ?? {}) as { functionName?: string };
      const group = resourcesOfType(synthesized.json, 'AWS::Logs::LogGroup').find(
        ([, logGroup]) => logGroup.Properties?.LogGroupName === `/aws/lambda/${functionName}`,
      );

      expect(group, id).toBeDefined();
      expect(dependsOn(application), id).toContain(group?.[0]);
    }
  });

  it('gives the PostgreSQL log export (a log group RDS names after the generated instance id) a retention', () => {
    const [[instanceId, instance] = []] = resourcesOfType(synthesized.json, 'AWS::RDS::DBInstance');
    const [[, retention] = []] = resourcesOfType(synthesized.json, 'Custom::LogRetention');

    expect(instance?.Properties?.EnableCloudwatchLogsExports).toEqual(['postgresql']);
    expect(instance?.Properties?.DBInstanceIdentifier, 'a fixed identifier blocks replacements').toBeUndefined();
    expect(render(retention?.Properties?.LogGroupName)).toBe(`/aws/rds/instance/<${instanceId}>/postgresql`);
    expect(retention?.Properties?.RetentionInDays).toBe(7);
  });
});

describe.each(['dev', 'prod'])('cdk-nag AwsSolutions (profile %s)', (profile) => {
  let synthesized: Synthesized;

  beforeAll(() => {
    synthesized = synthesizeTaskboard({ context: { profile } });
  });

  it('reports no unacknowledged finding, error or warning', () => {
    const findings = synthesized.nag.violations.map(
      (violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );

    expect(findings).toEqual([]);
  });

  it('gives every acknowledgement a one-line reason', () => {
    const acknowledgements: [string, string][] = [];
    const walk = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          // CDK acknowledges some of its own template-validation rules; only ours are checked here.
          if (id.includes('AwsSolutions-')) acknowledgements.push([id, reason]);
        }
      }
      for (const child of construct.node.children) walk(child);
    };
    walk(synthesized.stack);

    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length, id).toBeGreaterThanOrEqual(30);
      expect(reason, id).not.toContain('\n');
    }
  });

  it('adds no CDK error annotation', () => {
    expect(Annotations.fromStack(synthesized.stack).findError('*', Match.anyValue())).toEqual([]);
  });
});

describe.each(['dev', 'prod'])('Template (profile %s)', (profile) => {
  it('passes CloudFormation’s built-in validation and has no dependency cycle', () => {
    const validated = synthesizeTaskboard({ validateTemplate: true, context: { profile } });

    expect(findCycle(validated.json)).toBeUndefined();
  });
});
