/**
 * The client's compile test: `tsc` over test/client/every-operation.ts, which calls every operation
 * through client/index.ts. A copy that leaves one operation out must fail, naming it — so an
 * operation added to the spec fails here until the fixture (and so the client) covers it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { operations } from '../../generated/operations.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = path.join(root, 'test', 'client', 'every-operation.ts');
const scratch = mkdtempSync(path.join(tmpdir(), 'taskboard-client-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs tsc over `file` alone with the project's compiler options; resolves to its output and exit code. */
async function compile(file: string): Promise<{ code: number; output: string }> {
  const config = path.join(scratch, `tsconfig-${path.basename(file)}.json`);
  const compilerOptions = { typeRoots: [path.join(root, 'node_modules', '@types')] };
  writeFileSync(
    config,
    JSON.stringify({ extends: path.join(root, 'tsconfig.json'), compilerOptions, include: [], files: [file] }),
  );
  try {
    const { stdout } = await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', config], {
      cwd: root,
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? 1, output: failed.stdout ?? '' };
  }
}

describe('client/index.ts', () => {
  it('compiles a program that calls every operation of the spec', async () => {
    // Arrange
    const source = readFileSync(fixture, 'utf8');

    // Act
    const result = await compile(fixture);

    // Assert
    for (const operationId of Object.keys(operations)) expect(source, operationId).toContain(`${operationId}: called(`);
    expect(result, result.output).toMatchObject({ code: 0 });
  }, 60_000);

  it('rejects the program when it leaves an operation out, naming the operation', async () => {
    // Arrange
    const clientIndex = path.join(root, 'client', 'index.ts');
    const mutant = path.join(scratch, 'without-delete-task.ts');
    writeFileSync(
      mutant,
      readFileSync(fixture, 'utf8')
        .replace('../../client/index.ts', clientIndex)
        .replace(/^\s*deleteTask: called\(.*\n/m, ''),
    );

    // Act
    const result = await compile(mutant);

    // Assert
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('deleteTask');
  }, 60_000);
});
