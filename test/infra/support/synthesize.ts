/**
 * Synthesises the Taskboard stack the way `npm run synth` does (same cdk.json context, same stack
 * class), into a temporary directory, and runs cdk-nag's AwsSolutions pack over it. Bundling with
 * esbuild is skipped unless asked for: only the migration tests look inside the bundles.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement, type PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll } from 'vitest';
import { type JsonObject, loadApiDefinition, projectRoot } from '../../../infra/api-definition.ts';
import { TaskboardStack } from '../../../infra/taskboard-stack.ts';

export interface SynthesizeOptions {
  /** Context on top of cdk.json's. */
  context?: Record<string, unknown>;
  /** A definition instead of generated/apigateway.json. */
  definition?: JsonObject;
  /** Run esbuild for the functions (slower); otherwise their code is a placeholder asset. */
  bundle?: boolean;
  /** Run CloudFormation's built-in template validation during synth (slower). */
  validateTemplate?: boolean;
  /** The built web app to deploy; by default none (a placeholder page), whatever web/dist holds. */
  appDir?: string;
}

export interface Synthesized {
  stack: TaskboardStack;
  template: Template;
  /** The template as plain JSON, for walks the matchers cannot express. */
  json: CloudFormationTemplate;
  assembly: CloudAssembly;
  /** cdk-nag AwsSolutions findings that no acknowledgement covers. */
  nag: PolicyValidationPluginReport;
  /** The logical id CloudFormation knows `construct` by (its default child when it is an L2). */
  logicalId(construct: IConstruct): string;
}

export interface CloudFormationResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Metadata?: Record<string, unknown>;
}

export interface CloudFormationTemplate {
  Resources: Record<string, CloudFormationResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/** cdk.json's context: the defaults the CLI synthesises with. */
export const cdkJsonContext = (
  JSON.parse(readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

/** The generated definition, fresh each call (tests may modify their copy). */
export const generatedDefinition = (): JsonObject => loadApiDefinition();

const outdirs: string[] = [];
// Registered while the importing test file is collected: its cloud assemblies go when it finishes.
afterAll(() => {
  for (const outdir of outdirs.splice(0)) rmSync(outdir, { recursive: true, force: true });
});

/** Builds and synthesises the stack once; call it in `beforeAll`. */
export function synthesizeTaskboard(options: SynthesizeOptions = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'taskboard-cdk-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    builtinCloudFormationValidation: options.validateTemplate ?? false,
    context: {
      ...cdkJsonContext,
      migrationRunId: 'test-run',
      // As the CLI does: resources name their asset directory, where the bundle tests look.
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const stack = new TaskboardStack(app, 'Taskboard', {
    ...(options.definition ? { definition: options.definition } : {}),
    appDir: options.appDir ?? path.join(outdir, 'no-web-app'),
  });
  const assembly = app.synth();
  const json = assembly.getStackArtifact(stack.artifactId).template as CloudFormationTemplate;
  return {
    stack,
    template: Template.fromJSON(json),
    json,
    assembly,
    nag: new AwsSolutionsChecks().validateScope(stack),
    logicalId: (construct) => {
      const element = (construct.node.defaultChild ?? construct) as CfnElement;
      return Stack.of(element).resolve(element.logicalId) as string;
    },
  };
}

/** The resources of one type, by logical id. */
export function resourcesOfType(json: CloudFormationTemplate, type: string): [string, CloudFormationResource][] {
  return Object.entries(json.Resources).filter(([, resource]) => resource.Type === type);
}

/** `DependsOn` as a list. */
export function dependsOn(resource: CloudFormationResource): string[] {
  const value = resource.DependsOn ?? [];
  return Array.isArray(value) ? value : [value];
}

/**
 * A CloudFormation value as one readable string: `Fn::Join` concatenated, `Ref` as `<Name>` and
 * `Fn::GetAtt` as `<Name.Attribute>` (the notation cdk-nag uses), e.g.
 * `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<ApiRestApi1234>/*\/GET/health`.
 */
export function render(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const intrinsic = value as Record<string, unknown>;
    if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
    const getAtt = intrinsic['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = intrinsic['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(render).join(join[0]);
    }
  }
  return JSON.stringify(value);
}

/** A property of the resource behind `construct` (undefined when absent). */
export function propertyOf(synthesized: Synthesized, construct: IConstruct, name: string): unknown {
  return synthesized.json.Resources[synthesized.logicalId(construct)]?.Properties?.[name];
}

/** A Lambda function's environment variables. */
export function environmentOf(synthesized: Synthesized, fn: IConstruct): Record<string, unknown> {
  const environment = propertyOf(synthesized, fn, 'Environment') as { Variables?: Record<string, unknown> } | undefined;
  return environment?.Variables ?? {};
}
