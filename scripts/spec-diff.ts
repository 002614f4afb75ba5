/**
 * `npm run spec:diff [-- --base <git ref>] [--head <git ref>]`: the breaking-change gate. Bundles
 * the spec at the base ref (extracted with `git archive` into a temp folder) and at the head (a ref,
 * or by default the working tree), prints every change classified, and exits 1 on a breaking change
 * unless info.version's major number was raised.
 *
 * Default base: the merge base with main when HEAD is not on main; on main itself (CI's clone holds
 * main only) the previous commit; without main, the last tag. On the repository's first commit it
 * passes. With no base otherwise (a shallow clone, no main, no tag) it says how to fetch one, and
 * fails when CI=true: a gate that passes for want of history checks nothing.
 * It works on the git checkout it is run in (npm runs it at the project's root).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSpecAt, compareSpecs, formatSpecDiff } from './lib/spec-diff.ts';

function gitIn(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The checkout run in; outside any git repository, the one holding this script. */
const root =
  gitIn(process.cwd(), ['rev-parse', '--show-toplevel']) ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const git = (args: string[]) => gitIn(root, args);

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  if (index === -1) return undefined;
  const value = process.argv[index + 1];
  if (!value || value.startsWith('--')) throw new Error(`${name} needs a git ref, e.g. ${name} main`);
  return value;
}

type Base = { ref: string; why: string } | { ref?: undefined; why: string };

/**
 * The default base ref and why it was chosen; without one, why not. It never guesses: on a branch
 * the base is the merge base with main or nothing (a shallow clone has no common ancestor to find).
 */
function defaultBase(): Base {
  const head = git(['rev-parse', 'HEAD']);
  if (!head) return { why: 'not a git checkout' };
  for (const main of ['main', 'origin/main']) {
    if (!git(['rev-parse', '--verify', '--quiet', `${main}^{commit}`])) continue;
    const mergeBase = git(['merge-base', 'HEAD', main]);
    if (!mergeBase) return { why: `HEAD and ${main} have no common commit in this clone` };
    if (mergeBase !== head) return { ref: mergeBase, why: `merge base with ${main}` };
    const previous = git(['rev-parse', '--verify', '--quiet', 'HEAD~1^{commit}']);
    if (previous) return { ref: previous, why: `HEAD is on ${main}: the previous commit` };
    return { why: `HEAD is on ${main} and its previous commit is not in this clone` };
  }
  const tag = git(['describe', '--tags', '--abbrev=0']);
  return tag ? { ref: tag, why: 'the last tag' } : { why: 'no main branch history, no tag' };
}

/** A complete history whose HEAD is its first commit: the spec is new, there is nothing before it. */
const isFirstCommit = () =>
  git(['rev-parse', '--is-shallow-repository']) === 'false' &&
  git(['rev-parse', '--verify', '--quiet', 'HEAD~1']) === undefined;

/** Extracts openapi/ and redocly.yaml at `ref` into a temp folder; undefined when the ref has no spec. */
function extract(ref: string): string | undefined {
  if (!git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])) throw new Error(`Unknown git ref: ${ref}`);
  if (git(['cat-file', '-e', `${ref}:openapi/openapi.yaml`]) === undefined) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'taskboard-spec-'));
  const paths = ['openapi', ...(git(['cat-file', '-e', `${ref}:redocly.yaml`]) === undefined ? [] : ['redocly.yaml'])];
  const archive = execFileSync('git', ['archive', '--format=tar', ref, ...paths], { cwd: root, maxBuffer: 64 << 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return dir;
}

async function main(): Promise<number> {
  const explicitBase = option('--base');
  const headRef = option('--head');
  const base = explicitBase ? { ref: explicitBase, why: 'given' } : defaultBase();
  if (!base.ref) {
    if (isFirstCommit()) {
      console.log('spec:diff: HEAD is the first commit: nothing to compare with.');
      return 0;
    }
    const shallow = git(['rev-parse', '--is-shallow-repository']) === 'true' ? ' (a shallow clone)' : '';
    const advice =
      `spec:diff: no base to compare with${shallow}: ${base.why}. Fetch history: \`fetch-depth: 0\` with actions/checkout, ` +
      'or `git fetch --unshallow origin main:refs/remotes/origin/main`; or pass `-- --base <ref>`.';
    // CI must compare with something: a gate that passes for want of history checks nothing.
    if (process.env.CI === 'true') {
      console.error(`${advice} CI=true: failing.`);
      return 1;
    }
    console.log(`${advice} Nothing checked.`);
    return 0;
  }
  const temps: string[] = [];
  try {
    const baseDir = extract(base.ref);
    if (!baseDir) {
      console.log(`spec:diff: ${base.ref} has no openapi/openapi.yaml: nothing to compare.`);
      return 0;
    }
    temps.push(baseDir);
    let headDir = root;
    if (headRef) {
      const extracted = extract(headRef);
      if (!extracted) throw new Error(`${headRef} has no openapi/openapi.yaml`);
      temps.push(extracted);
      headDir = extracted;
    }
    const diff = compareSpecs(await bundleSpecAt(baseDir), await bundleSpecAt(headDir));
    const shortBase = git(['rev-parse', '--short', base.ref]) ?? base.ref;
    console.log(formatSpecDiff(diff, { base: `${shortBase} (${base.why})`, head: headRef ?? 'working tree' }));
    return diff.passes ? 0 : 1;
  } finally {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`spec:diff: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
