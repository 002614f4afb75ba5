/**
 * `npm run spec:diff`'s default base, in throw-away git repositories holding a copy of the spec: the
 * real script runs in each (it works on the checkout it is run in) and says which base it chose.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseYaml, stringifyYaml } from '@redocly/openapi-core';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const script = path.join(root, 'scripts', 'spec-diff.ts');
const scratch = mkdtempSync(path.join(tmpdir(), 'taskboard-spec-base-'));
/** Git without the machine's configuration (hooks, signing), with a fixed author. */
const gitEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Spec Diff Test',
  GIT_AUTHOR_EMAIL: 'spec-diff@example.com',
  GIT_COMMITTER_NAME: 'Spec Diff Test',
  GIT_COMMITTER_EMAIL: 'spec-diff@example.com',
};

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A repository whose first commit, on `branch`, is the project's spec. */
function repository(branch: string) {
  const dir = mkdtempSync(path.join(scratch, 'repo-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: gitEnv, encoding: 'utf8' }).trim();
  git('init', '--quiet', '--initial-branch', branch);
  cpSync(path.join(root, 'openapi'), path.join(dir, 'openapi'), { recursive: true });
  cpSync(path.join(root, 'redocly.yaml'), path.join(dir, 'redocly.yaml'));
  const commit = (message: string) => {
    git('add', '--all');
    git('commit', '--quiet', '--allow-empty', '-m', message);
    return git('rev-parse', '--short', 'HEAD');
  };
  /** Rewrites one YAML file below openapi/. */
  const edit = (file: string, change: (node: Record<string, Record<string, unknown>>) => void) => {
    const full = path.join(dir, 'openapi', file);
    const node = parseYaml(readFileSync(full, 'utf8')) as Record<string, Record<string, unknown>>;
    change(node);
    writeFileSync(full, stringifyYaml(node));
  };
  return { dir, git, commit, edit, specDiff: specDiffIn(dir) };
}

/** Runs `npm run spec:diff` in `dir` (CI unset unless given). */
const specDiffIn =
  (dir: string) =>
  (env: { CI?: string } = {}) => {
    const result = spawnSync(tsx, [script], { cwd: dir, env: { ...gitEnv, CI: '', ...env }, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };

/** A clone of `origin` made with `options` (e.g. `--depth 1`), as a CI checkout is. */
function cloneOf(origin: { dir: string }, options: string[]) {
  const dir = mkdtempSync(path.join(scratch, 'clone-'));
  execFileSync('git', ['clone', '--quiet', ...options, `file://${origin.dir}`, dir], { env: gitEnv });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: gitEnv, encoding: 'utf8' }).trim();
  return { dir, git, specDiff: specDiffIn(dir) };
}

type Repository = ReturnType<typeof repository>;

/** Breaking: the task priority `medium` disappears. */
const removeMediumPriority = (repo: Repository) =>
  repo.edit('components/schemas/TaskPriority.yaml', (schema) => {
    schema.enum = ['low', 'high'] as never;
  });

/** Additive: a new operation, GET /health/live. */
const addLivenessOperation = (repo: Repository) => {
  const health = parseYaml(readFileSync(path.join(repo.dir, 'openapi', 'paths', 'health.yaml'), 'utf8')) as {
    get: Record<string, unknown>;
  };
  writeFileSync(
    path.join(repo.dir, 'openapi', 'paths', 'health_live.yaml'),
    stringifyYaml({ get: { ...health.get, operationId: 'checkLiveness' } }),
  );
  repo.edit('openapi.yaml', (document) => {
    (document.paths as Record<string, unknown>)['/health/live'] = { $ref: 'paths/health_live.yaml' };
  });
};

describe('spec:diff default base', () => {
  it("on a feature branch, compares with the merge base with main, not main's tip", () => {
    // Arrange: main gains an operation after the branch point; the branch does not have it.
    const repo = repository('main');
    const branchPoint = repo.commit('spec');
    repo.git('switch', '--quiet', '--create', 'feature');
    repo.commit('work on the feature');
    repo.git('switch', '--quiet', 'main');
    addLivenessOperation(repo);
    repo.commit('main: checkLiveness');
    repo.git('switch', '--quiet', 'feature');

    // Act
    const clean = repo.specDiff();
    removeMediumPriority(repo);
    repo.commit('feature: drop medium');
    const breaking = repo.specDiff();

    // Assert: against main's tip the missing checkLiveness would count as a removed operation.
    expect(clean.output).toContain(`spec:diff ${branchPoint} (merge base with main)`);
    expect(clean.output).toContain('no changes');
    expect(clean.status, clean.output).toBe(0);
    expect(breaking.output).toContain(`spec:diff ${branchPoint} (merge base with main)`);
    expect(breaking.output).toMatch(/FAIL: \d+ breaking change/);
    expect(breaking.status, breaking.output).toBe(1);
  }, 60_000);

  it('on main, compares with the previous commit', () => {
    const repo = repository('main');
    repo.commit('spec');
    addLivenessOperation(repo);
    const previous = repo.commit('checkLiveness');
    removeMediumPriority(repo);
    repo.commit('drop medium');

    const result = repo.specDiff();

    expect(result.output).toContain(`spec:diff ${previous} (HEAD is on main: the previous commit)`);
    expect(result.output).toContain('enum');
    expect(result.status, result.output).toBe(1);
  }, 60_000);

  it('without a main branch, compares with the last tag', () => {
    const repo = repository('trunk');
    repo.commit('spec');
    repo.git('tag', 'v1.0.0');
    const tagged = repo.git('rev-parse', '--short', 'v1.0.0');
    removeMediumPriority(repo);
    repo.commit('drop medium');
    repo.commit('unrelated');

    const result = repo.specDiff();

    expect(result.output).toContain(`spec:diff ${tagged} (the last tag)`);
    expect(result.output).toMatch(/FAIL: \d+ breaking change/);
    expect(result.status, result.output).toBe(1);
  }, 60_000);

  it('passes on the first commit of a complete history: the spec is new', () => {
    const repo = repository('main');
    repo.commit('spec');

    const result = repo.specDiff({ CI: 'true' });

    expect(result.output).toContain('spec:diff: HEAD is the first commit: nothing to compare with.');
    expect(result.status, result.output).toBe(0);
  }, 60_000);

  it('with no main and no tag, says how to fetch a base; fails when CI=true', () => {
    const repo = repository('trunk');
    repo.commit('spec');
    repo.commit('more');

    const local = repo.specDiff({ CI: '' });
    const ci = repo.specDiff({ CI: 'true' });

    expect(local.output).toContain('no main branch history, no tag');
    expect(local.output).toContain('Nothing checked.');
    expect(local.status, local.output).toBe(0);
    expect(ci.output).toContain('fetch-depth: 0');
    expect(ci.status, ci.output).toBe(1);
  }, 60_000);

  it.each([
    ['main', 'HEAD is on main and its previous commit is not in this clone'],
    ['feature', 'no main branch history, no tag'],
  ])(
    'in a depth-1 clone of %s, fails under CI=true saying how to fetch a base, and compares once it is fetched',
    (branch, why) => {
      // Arrange: a breaking change on the cloned branch, which a depth-1 clone cannot see the base of.
      const origin = repository('main');
      origin.commit('spec');
      origin.git('switch', '--quiet', '--create', 'feature');
      origin.git('switch', '--quiet', branch);
      removeMediumPriority(origin);
      origin.commit('drop medium');
      const clone = cloneOf(origin, ['--depth', '1', '--branch', branch]);

      // Act
      const shallow = clone.specDiff({ CI: 'true' });
      clone.git('fetch', '--quiet', '--unshallow', 'origin', 'main:refs/remotes/origin/main');
      const fetched = clone.specDiff({ CI: 'true' });

      // Assert
      expect(shallow.status, shallow.output).toBe(1);
      expect(shallow.output).toContain(`no base to compare with (a shallow clone): ${why}`);
      expect(shallow.output).toContain('`fetch-depth: 0`');
      expect(shallow.output).toContain('git fetch --unshallow origin main:refs/remotes/origin/main');
      expect(shallow.status, shallow.output).toBe(1);
      expect(fetched.output).toMatch(/FAIL: \d+ breaking change/);
      expect(fetched.status, fetched.output).toBe(1);
    },
    60_000,
  );
});
