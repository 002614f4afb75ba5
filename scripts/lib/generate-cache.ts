/**
 * The fast path of `npm run generate`: a fingerprint of everything generated/ is made from (the
 * spec, redocly.yaml, the generator's code and the lockfile) and of generated/ itself. When both
 * match what the last run recorded, nothing would change, so the run stops before loading Redocly,
 * openapi-typescript or Ajv. The record lives in node_modules/.cache, never in generated/.
 * `npm run generate -- --force` ignores it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface Fingerprint {
  inputs: string;
  outputs: string;
}

function filesBelow(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(entry.parentPath, entry.name))
      .sort();
  } catch {
    return [];
  }
}

function digest(root: string, files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(root, file));
    hash.update('\0');
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('(missing)');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

function fingerprint(root: string): Fingerprint {
  const inputs = [
    ...filesBelow(path.join(root, 'openapi')),
    path.join(root, 'redocly.yaml'),
    path.join(root, 'package-lock.json'),
    ...filesBelow(path.join(root, 'scripts', 'lib')),
    path.join(root, 'scripts', 'generate.ts'),
  ];
  return { inputs: digest(root, inputs), outputs: digest(root, filesBelow(path.join(root, 'generated'))) };
}

/** One record per checkout: copies that share node_modules through a symlink keep their own. */
const recordFile = (root: string) =>
  path.join(
    root,
    'node_modules',
    '.cache',
    'taskboard',
    `generate-${createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 12)}.json`,
  );

/** Whether generated/ is what the last run wrote from exactly the current inputs. */
export function generatedUpToDate(root: string): boolean {
  let recorded: Fingerprint;
  try {
    recorded = JSON.parse(readFileSync(recordFile(root), 'utf8')) as Fingerprint;
  } catch {
    return false;
  }
  const current = fingerprint(root);
  return recorded.inputs === current.inputs && recorded.outputs === current.outputs;
}

/** Records the fingerprint after a successful run. */
export function recordGenerated(root: string): void {
  const file = recordFile(root);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(fingerprint(root))}\n`);
}
