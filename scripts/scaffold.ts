/**
 * `npm run scaffold`: for every operationId in generated/openapi.json without a handler in
 * handlers/operation-handlers.ts, writes a typed handler module handlers/<tag>/<operation-id>.ts
 * and registers it. The scaffold throws NotImplementedError (501 problem+json) until someone writes
 * it. Existing handlers and files are never touched. `npm run scaffold` runs `npm run generate` first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listOperations, type OpenApiDocument } from './lib/openapi.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const registryFile = path.join(root, 'handlers', 'operation-handlers.ts');

const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
const folderOf = (tag: string | undefined) => (tag ? kebab(tag.replace(/\s+/g, '')) : 'misc');

/** The operationIds the registry lists. */
function registered(source: string): Set<string> {
  const body = /export const operationHandlers: OperationHandlers = \{([\s\S]*?)\n\};/.exec(source)?.[1];
  if (body === undefined)
    throw new Error(`${registryFile}: cannot find \`export const operationHandlers: OperationHandlers = {\``);
  return new Set([...body.matchAll(/^\s*([A-Za-z_$][\w$]*)\s*[,:]/gm)].map((match) => match[1] as string));
}

function handlerModule(operationId: string, method: string, route: string, summary: string): string {
  return `import type { OperationHandler } from '#runtime/context.ts';
import { NotImplementedError } from '#runtime/errors.ts';

/**
 * ${operationId} (${method.toUpperCase()} ${route}): ${summary}
 * Scaffolded by \`npm run scaffold\`: answers 501 problem+json until it is written.
 */
export const ${operationId}: OperationHandler<'${operationId}'> = async (_input, _context) => {
  throw new NotImplementedError('${operationId}');
};
`;
}

function main(): void {
  const document = JSON.parse(readFileSync(path.join(root, 'generated', 'openapi.json'), 'utf8')) as OpenApiDocument;
  let registry = readFileSync(registryFile, 'utf8');
  const known = registered(registry);
  const written: string[] = [];
  for (const { operationId, method, path: route, operation } of listOperations(document)) {
    if (known.has(operationId)) continue;
    const tags = operation.tags as string[] | undefined;
    const folder = folderOf(tags?.[0]);
    const file = path.join(root, 'handlers', folder, `${kebab(operationId)}.ts`);
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, handlerModule(operationId, method, route, String(operation.summary ?? '')));
      written.push(file);
    }
    const importLine = `import { ${operationId} } from './${folder}/${kebab(operationId)}.ts';\n`;
    registry = registry.replace(/\nexport const operationHandlers/, `${importLine}\nexport const operationHandlers`);
    registry = registry.replace(
      /(export const operationHandlers: OperationHandlers = \{[\s\S]*?)\n\};/,
      `$1\n  ${operationId},\n};`,
    );
    console.log(`scaffolded ${operationId} → handlers/${folder}/${kebab(operationId)}.ts (answers 501 until written)`);
  }
  if (written.length === 0 && registry === readFileSync(registryFile, 'utf8')) {
    console.log('Every operation has a handler: nothing to scaffold.');
    return;
  }
  writeFileSync(registryFile, registry);
  // Let Biome sort the imports and format, as `npm run format` would.
  execFileSync(path.join(root, 'node_modules', '.bin', 'biome'), ['check', '--write', registryFile, ...written], {
    cwd: root,
    stdio: 'inherit',
  });
}

main();
