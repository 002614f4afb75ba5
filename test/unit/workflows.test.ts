/**
 * The GitHub Actions workflows, checked offline: each validates against GitHub's workflow schema
 * (@action-validator/cli, a WebAssembly build shipped inside its npm package: nothing is downloaded
 * at install or run time), every third-party action is pinned to a full commit SHA, and the deploy
 * workflow keeps its promises (OIDC only, doctor first, one deploy per stage at a time, prod after dev
 * behind its environment).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseYaml } from '@redocly/openapi-core';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const workflowsDir = path.join(root, '.github', 'workflows');
const workflowFiles = readdirSync(workflowsDir).filter((name) => /\.ya?ml$/.test(name));
const validatorCli = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@action-validator/cli/package.json')),
  'cli.mjs',
);
const scratch = mkdtempSync(path.join(tmpdir(), 'taskboard-workflows-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function validate(file: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [validatorCli, file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Every `uses:` of a workflow that is not pinned to a full commit SHA (local actions are exempt). */
function unpinnedActions(workflow: string): string[] {
  const uses = [...workflow.matchAll(/^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)/gm)].map((match) => match[1] ?? '');
  return uses.filter((action) => !action.startsWith('./') && !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(action));
}

interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean | string };
  steps: { uses?: string; run?: string; name?: string; with?: Record<string, unknown> }[];
}
const deploy = parseYaml(readFileSync(path.join(workflowsDir, 'deploy.yml'), 'utf8')) as { jobs: Record<string, Job> };
const ci = parseYaml(readFileSync(path.join(workflowsDir, 'ci.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  jobs: Record<string, Job & { strategy?: { matrix: { node: number[] } } }>;
};

describe('GitHub Actions workflows', () => {
  it('finds the CI and the deploy workflow', () => {
    expect(workflowFiles.sort()).toEqual(['ci.yml', 'deploy.yml']);
  });

  it.each(workflowFiles)('%s validates against GitHub’s workflow schema, offline', (name) => {
    const { status, output } = validate(path.join(workflowsDir, name));

    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('the validator rejects a workflow with a misspelt key (it is not a no-op)', () => {
    const broken = path.join(scratch, 'broken.yml');
    writeFileSync(broken, 'name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n');

    const { status, output } = validate(broken);

    expect(status).not.toBe(0);
    expect(output).toContain("Additional property 'stepz' is not allowed");
  });

  it.each(workflowFiles)('%s pins every third-party action to a full commit SHA, with its tag in a comment', (name) => {
    const text = readFileSync(path.join(workflowsDir, name), 'utf8');

    expect(unpinnedActions(text)).toEqual([]);
    for (const line of text.split('\n').filter((candidate) => /^\s*(-\s+)?uses:/.test(candidate))) {
      expect(line).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  it('the pin check names an action on a tag, a branch or a short SHA', () => {
    const workflow = [
      '      - uses: actions/checkout@v5',
      '      - uses: aws-actions/configure-aws-credentials@main',
      '        uses: actions/setup-node@a0853c2',
      '      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0',
      '      - uses: ./.github/actions/local',
    ].join('\n');

    expect(unpinnedActions(workflow)).toEqual([
      'actions/checkout@v5',
      'aws-actions/configure-aws-credentials@main',
      'actions/setup-node@a0853c2',
    ]);
  });
});

describe('ci.yml', () => {
  it('runs on pull requests and pushes to main, .ci/run once and npm test on Node 22, 24 and 26 with npm’s cache', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(ci.jobs.test?.strategy?.matrix.node).toEqual([22, 24, 26]);
    expect(ci.jobs.check?.steps.some((step) => step.run === 'bash .ci/run')).toBe(true);
    for (const job of Object.values(ci.jobs)) {
      const setupNode = job.steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
      expect(setupNode?.with?.cache).toBe('npm');
    }
  });
});

describe('deploy.yml', () => {
  const awsJobs = Object.entries(deploy.jobs).filter(([, job]) =>
    job.steps.some((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@')),
  );

  it('gets AWS credentials only through OIDC and a role to assume: no access key anywhere', () => {
    const text = readFileSync(path.join(workflowsDir, 'deploy.yml'), 'utf8');

    expect(awsJobs.map(([name]) => name).sort()).toEqual(['deploy-dev', 'deploy-prod', 'diff']);
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
    for (const [, job] of awsJobs) {
      expect(job.permissions?.['id-token']).toBe('write');
      const credentials = job.steps.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(credentials?.with?.['role-to-assume']).toBe('${{ vars.AWS_ROLE_ARN }}');
    }
  });

  it('runs each AWS job in the GitHub environment of its stage, whose role trusts exactly that environment', () => {
    expect(Object.fromEntries(awsJobs.map(([name, job]) => [name, job.environment]))).toEqual({
      diff: 'dev',
      'deploy-dev': 'dev',
      'deploy-prod': 'prod',
    });
  });

  it('never runs two deploys of one stage at once, and never cancels one under way', () => {
    expect(deploy.jobs['deploy-dev']?.concurrency).toEqual({ group: 'deploy-dev', 'cancel-in-progress': false });
    expect(deploy.jobs['deploy-prod']?.concurrency).toEqual({ group: 'deploy-prod', 'cancel-in-progress': false });
  });

  it('deploys dev on a push to main, then prod after dev; pull requests only diff', () => {
    expect(deploy.jobs['deploy-dev']?.if).toContain("github.ref == 'refs/heads/main'");
    expect(deploy.jobs['deploy-dev']?.if).toContain("github.event_name != 'pull_request'");
    expect(deploy.jobs['deploy-prod']?.needs).toBe('deploy-dev');
    expect(deploy.jobs.diff?.if).toContain("github.event_name == 'pull_request'");
    const summary = deploy.jobs.diff?.steps.find((step) => step.run?.includes('GITHUB_STEP_SUMMARY'))?.run ?? '';
    expect(summary).toContain('npm run -s spec:diff');
    expect(summary).toContain('cdk diff');
  });

  it('runs npm run doctor right after getting credentials, before any diff or deploy, with full history for the spec gate', () => {
    for (const [, job] of awsJobs) {
      const steps = job.steps.map((step) => step.uses ?? step.run ?? '');
      const credentials = steps.findIndex((step) => step.startsWith('aws-actions/configure-aws-credentials@'));
      expect(steps[credentials + 1]).toMatch(/^npm run -s doctor/);
      expect(job.steps[0]?.with?.['fetch-depth']).toBe(0);
    }
  });
});
