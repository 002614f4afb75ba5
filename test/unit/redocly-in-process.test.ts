import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintAndBundle, SpecLintError, specFiles } from '../../scripts/lib/redocly.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const copies: string[] = [];

/** A copy of openapi/ and redocly.yaml in a temp folder, with `edit` applied to one file. */
function specCopy(edit?: { file: string; from: string; to: string }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'taskboard-lint-'));
  copies.push(dir);
  cpSync(path.join(root, 'openapi'), path.join(dir, 'openapi'), { recursive: true });
  cpSync(path.join(root, 'redocly.yaml'), path.join(dir, 'redocly.yaml'));
  if (edit) {
    const file = path.join(dir, 'openapi', edit.file);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(edit.from);
    writeFileSync(file, text.replace(edit.from, edit.to));
  }
  return dir;
}

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

describe('Redocly in-process (npm run generate)', () => {
  it('bundles the spec to what generated/openapi.json holds', async () => {
    const bundled = await lintAndBundle(specFiles(specCopy()));
    const { 'x-generated': _generated, ...committed } = JSON.parse(
      readFileSync(path.join(root, 'generated', 'openapi.json'), 'utf8'),
    );
    expect(JSON.stringify(bundled, null, 2)).toBe(JSON.stringify(committed, null, 2));
  });

  it("applies the project's custom rules from redocly.yaml", async () => {
    const dir = specCopy({
      file: 'paths/health.yaml',
      from: 'summary: Check the API and its database',
      to: 'summary: Check The API',
    });
    await expect(lintAndBundle(specFiles(dir))).rejects.toBeInstanceOf(SpecLintError);
  });

  it("applies the recommended preset's rules", async () => {
    const dir = specCopy({ file: 'paths/health.yaml', from: 'summary: Check the API and its database', to: '' });
    await expect(lintAndBundle(specFiles(dir))).rejects.toBeInstanceOf(SpecLintError);
  });
});
