/**
 * `npm run scaffold` on a temp copy of the project whose spec has one extra operation: the
 * generator and the scaffolder run there, the new handler module is written and registered, tsc
 * accepts it, and until it is written it answers 501 problem+json. The operation also takes array
 * query parameters, repeated and comma-separated, which no operation of the real spec has yet: the
 * generated checks and the runtime must read them with no edit to either.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseYaml, stringifyYaml } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const copy = mkdtempSync(path.join(tmpdir(), 'taskboard-scaffold-'));
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const run = (command: string, args: string[]) =>
  execFileSync(command, args, { cwd: copy, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  for (const entry of [
    'openapi',
    'scripts',
    'handlers',
    'generated',
    'package.json',
    'tsconfig.json',
    'biome.json',
    '.gitignore',
  ]) {
    cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  cpSync(path.join(root, 'redocly.yaml'), path.join(copy, 'redocly.yaml'));
  // The extra operation: a copy of getTask under a new path and operationId.
  const taskItem = parseYaml(readFileSync(path.join(root, 'openapi', 'paths', 'tasks_{taskId}.yaml'), 'utf8')) as {
    parameters: unknown;
    get: Record<string, unknown>;
  };
  const arrayParameters = [
    {
      name: 'label',
      in: 'query',
      description: 'Only these labels (repeat the parameter).',
      schema: {
        type: 'array',
        maxItems: 3,
        uniqueItems: true,
        items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,29}$' },
      },
      example: ['home', 'urgent'],
    },
    {
      name: 'sizes',
      in: 'query',
      description: 'Comma-separated sizes.',
      style: 'form',
      explode: false,
      schema: { type: 'array', items: { type: 'integer', minimum: 1 } },
      example: [1, 2],
    },
  ];
  const extra = {
    parameters: taskItem.parameters,
    get: {
      ...taskItem.get,
      operationId: 'getTaskSummary',
      summary: "Get a task's summary",
      parameters: [...((taskItem.get.parameters as unknown[] | undefined) ?? []), ...arrayParameters],
    },
  };
  writeFileSync(path.join(copy, 'openapi', 'paths', 'tasks_{taskId}_summary.yaml'), stringifyYaml(extra));
  const rootFile = path.join(copy, 'openapi', 'openapi.yaml');
  const spec = parseYaml(readFileSync(rootFile, 'utf8')) as { paths: Record<string, unknown> };
  spec.paths['/tasks/{taskId}/summary'] = { $ref: 'paths/tasks_{taskId}_summary.yaml' };
  writeFileSync(rootFile, stringifyYaml(spec));

  run(bin('tsx'), ['scripts/generate.ts', '--force']);
}, 120_000);

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('npm run scaffold', () => {
  it('writes a typed handler for the operation without one, registers it, tsc accepts it, and it answers 501 until written', () => {
    // Before: the registry misses the operation, which tsc names.
    writeFileSync(
      path.join(copy, 'tsconfig.check.json'),
      JSON.stringify({ extends: './tsconfig.json', include: ['handlers', 'generated'] }),
    );
    const before = (() => {
      try {
        run(bin('tsc'), ['-p', 'tsconfig.check.json']);
        return 'compiled';
      } catch (error) {
        return String((error as { stdout?: string }).stdout);
      }
    })();
    expect(before).toMatch(/Property 'getTaskSummary' is missing/);

    const output = run(bin('tsx'), ['scripts/scaffold.ts']);
    expect(output).toContain('scaffolded getTaskSummary → handlers/tasks/get-task-summary.ts');
    const module = readFileSync(path.join(copy, 'handlers', 'tasks', 'get-task-summary.ts'), 'utf8');
    expect(module).toContain("OperationHandler<'getTaskSummary'>");
    const registry = readFileSync(path.join(copy, 'handlers', 'operation-handlers.ts'), 'utf8');
    expect(registry).toContain("import { getTaskSummary } from './tasks/get-task-summary.ts';");
    expect(registry).toMatch(/^ {2}getTaskSummary,$/m);

    run(bin('tsc'), ['-p', 'tsconfig.check.json']);

    // Again: nothing left to scaffold, nothing rewritten.
    expect(run(bin('tsx'), ['scripts/scaffold.ts'])).toContain('nothing to scaffold');
    expect(readFileSync(path.join(copy, 'handlers', 'operation-handlers.ts'), 'utf8')).toBe(registry);

    // The scaffolded handler answers 501 problem+json through the runtime until it is written.
    writeFileSync(
      path.join(copy, 'probe.ts'),
      `import { operationHandlers } from './handlers/operation-handlers.ts';
import { toProblemResponse } from './handlers/runtime/response.ts';
const log = { error() {}, warn() {}, info() {}, debug() {}, child() { return log; } };
try {
  await operationHandlers.getTaskSummary({} as never, {} as never);
  console.log('no error');
} catch (error) {
  console.log(JSON.stringify(toProblemResponse(error, { requestId: 'r', instance: '/tasks/x/summary', log: log as never })));
}
`,
    );
    const response = JSON.parse(run(bin('tsx'), ['probe.ts'])) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };
    expect(response.statusCode).toBe(501);
    expect(response.headers['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({ status: 501, title: 'Not Implemented' });
  }, 240_000);

  it('reads an array query parameter as its items: repeated or comma-separated, each item checked and coerced, and a bad item, one too many or a repeat named as a 400', () => {
    // Arrange: events as API Gateway sends them (the last value single, every value in the multi-value map).
    writeFileSync(
      path.join(copy, 'arrays.ts'),
      `import { parseRequest } from './handlers/runtime/request.ts';
const id = '3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7b';
const event = (query: Record<string, string[]>) => ({
  httpMethod: 'GET', path: \`/tasks/\${id}/summary\`, resource: '/tasks/{taskId}/summary', headers: {}, body: null, isBase64Encoded: false,
  queryStringParameters: Object.fromEntries(Object.entries(query).map(([name, values]) => [name, values.at(-1)])),
  multiValueQueryStringParameters: query,
});
const outcome = (query: Record<string, string[]>) => {
  try {
    return { query: parseRequest(event(query) as never, 1024).query };
  } catch (error) {
    return { status: (error as { status?: number }).status, errors: (error as { errors?: unknown }).errors };
  }
};
console.log(JSON.stringify([
  outcome({ label: ['home', 'urgent'], sizes: ['1,20'] }),
  outcome({ label: ['home'] }),
  outcome({ label: ['home', 'Not A Label'] }),
  outcome({ label: ['a', 'b', 'c', 'd'] }),
  outcome({ label: ['home', 'home'] }),
  outcome({ sizes: ['1,x'] }),
]));
`,
    );

    // Act
    const [both, one, badItem, tooMany, repeated, badSize] = JSON.parse(run(bin('tsx'), ['arrays.ts'])) as Array<{
      query?: unknown;
      status?: number;
      errors?: Array<{ path: string; message: string }>;
    }>;

    // Assert
    expect(both).toEqual({ query: { label: ['home', 'urgent'], sizes: [1, 20] } });
    expect(one).toEqual({ query: { label: ['home'] } });
    expect(badItem).toEqual({
      status: 400,
      errors: [{ path: '/query/label/1', message: 'must match the pattern ^[a-z][a-z0-9-]{0,29}$' }],
    });
    expect(tooMany).toEqual({ status: 400, errors: [{ path: '/query/label', message: 'must have at most 3 items' }] });
    expect(repeated?.errors?.[0]?.path).toBe('/query/label');
    expect(repeated?.errors?.[0]?.message).toMatch(/must not repeat an item/);
    expect(badSize).toEqual({ status: 400, errors: [{ path: '/query/sizes/1', message: 'must be integer' }] });
  }, 60_000);
});
