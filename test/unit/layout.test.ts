/**
 * The layout's one rule (ARCHITECTURE.md): dependencies point one way. The product (handlers/,
 * infra/, client/, generated/, web/) and the commands a user runs (scripts/) import nothing from
 * the checks (test/) or the benchmark (bench/), so a newcomer can delete those two in their head
 * and still see the whole product. test/ and bench/ may use anything.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const packageImports = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    imports: Record<string, string>;
  }
).imports;

const checks = ['test', 'bench'];
const underChecks = (file: string) => checks.some((folder) => file === folder || file.startsWith(`${folder}/`));

/** Every module specifier a source file names: static imports and re-exports, and import() calls. */
function specifiers(source: string): string[] {
  const found = [
    ...source.matchAll(
      /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm,
    ),
  ];
  return found.map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

/** The repository path a specifier names, or undefined for a package. */
function resolveSpecifier(fromFile: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) return path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  const alias = Object.entries(packageImports).find(([key]) =>
    key.endsWith('*') ? specifier.startsWith(key.slice(0, -1)) : specifier === key,
  );
  if (!alias) return undefined;
  const [key, target] = alias;
  const resolved = key.endsWith('*') ? target.replace('*', specifier.slice(key.length - 1)) : target;
  return path.posix.normalize(resolved);
}

function productAndScriptFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  return tracked
    .split('\n')
    .filter((file) => /\.(ts|tsx|mts|mjs|js)$/.test(file) && !underChecks(file) && !file.includes('node_modules/'));
}

describe('the layout', () => {
  it('reads the specifiers it must judge, relative and aliased', () => {
    const source =
      "import a from '../test/x.ts';\nexport { b } from '#test/y.ts';\nconst c = await import('../bench/z.ts');";
    const named = specifiers(source).map((specifier) => resolveSpecifier('scripts/tool.ts', specifier));

    expect(named).toEqual(['test/x.ts', 'test/support/y.ts', 'bench/z.ts']);
    expect(named.every((file) => file !== undefined && underChecks(file))).toBe(true);
  });

  it('has nothing outside test/ and bench/ importing from them', () => {
    const files = productAndScriptFiles();
    const crossings = files.flatMap((file) =>
      specifiers(readFileSync(path.join(root, file), 'utf8'))
        .map((specifier) => ({ specifier, target: resolveSpecifier(file, specifier) }))
        .filter(({ target }) => target !== undefined && underChecks(target))
        .map(({ specifier }) => `${file} imports ${specifier}`),
    );

    expect(files.length).toBeGreaterThan(50);
    expect(crossings).toEqual([]);
  });
});
