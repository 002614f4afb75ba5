/**
 * The bench's targets and their production bundles, built the way the CDK NodejsFunction builds
 * the API function (esbuild with the bundling props of infra/bundling.ts: platform node, target
 * node24, ESM, minified, the createRequire banner, `@aws-sdk/*` and `pg-native` external): the
 * API, the floor and the peers; and the bench's lambda driver. The peers that take precompiled
 * validators get them from their build step (bench/peers/request-validators.ts) here.
 */
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { lambdaBundling } from '../../infra/bundling.ts';
import { requestValidatorsModule, type ValidatedPart } from '../peers/request-validators.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bench = (...parts: string[]) => path.join(projectRoot, 'bench', ...parts);

/** One function the bench measures. */
export interface TargetSpec {
  name: TargetName;
  /** What the tables call it. */
  label: string;
  /** The npm packages it is built on, whose installed versions the report names. */
  packages: string[];
  /** The handler module. */
  entry: string;
  /**
   * For a module that exports `createHandler(validators)` instead of `handler`: the parts of each
   * request its validators check, compiled by the build step (bench/peers/request-validators.ts).
   */
  validates?: readonly ValidatedPart[];
}

export type TargetName = 'api' | 'floor' | 'openapi-backend' | 'middy' | 'powertools';

export const targets: readonly TargetSpec[] = [
  { name: 'api', label: 'API', packages: [], entry: path.join(projectRoot, 'handlers', 'api.ts') },
  { name: 'floor', label: 'floor', packages: ['pg'], entry: bench('floor', 'handler.ts') },
  {
    name: 'openapi-backend',
    label: 'openapi-backend',
    packages: ['openapi-backend'],
    entry: bench('peers', 'openapi-backend', 'handler.ts'),
  },
  {
    name: 'middy',
    label: 'middy',
    packages: [
      '@middy/core',
      '@middy/http-router',
      '@middy/http-json-body-parser',
      '@middy/validator',
      '@middy/http-error-handler',
    ],
    entry: bench('peers', 'middy', 'handler.ts'),
    validates: ['Event'],
  },
  {
    name: 'powertools',
    label: 'Powertools',
    packages: ['@aws-lambda-powertools/event-handler'],
    entry: bench('peers', 'powertools', 'handler.ts'),
    validates: ['Path', 'Query', 'Body'],
  },
];

/** What `NodejsFunction` passes esbuild for the house function's bundling props (infra/bundling.ts). */
const lambdaOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: lambdaBundling.target,
  mainFields: [...lambdaBundling.mainFields],
  minify: lambdaBundling.minify,
  sourcesContent: lambdaBundling.sourcesContent,
  banner: { js: lambdaBundling.banner },
  external: [...lambdaBundling.externalModules],
  // Entries generated in the scratch folder resolve packages from the project.
  nodePaths: [path.join(projectRoot, 'node_modules')],
  logLevel: 'silent',
};

export interface LambdaBundle {
  file: string;
  bytes: number;
}

/** Bundles `target` into `outDir/<name>.mjs` (a `validates` target gets a generated entry that passes it its validators). */
export async function buildLambdaBundle(target: TargetSpec, outDir: string): Promise<LambdaBundle> {
  let entry = target.entry;
  if (target.validates) {
    const validators = path.join(outDir, `${target.name}-validators.mjs`);
    await writeFile(validators, requestValidatorsModule(target.validates));
    entry = path.join(outDir, `${target.name}-entry.mjs`);
    await writeFile(
      entry,
      [
        `import { createHandler } from ${JSON.stringify(target.entry)};`,
        `import * as validators from ${JSON.stringify(validators)};`,
        'export const handler = createHandler(validators);',
        '',
      ].join('\n'),
    );
  }
  const file = path.join(outDir, `${target.name}.mjs`);
  await build({ ...lambdaOptions, entryPoints: [entry], outfile: file, sourcemap: false });
  return { file, bytes: statSync(file).size };
}

/** Bundles the lambda driver (node built-ins and tinybench) into `outDir/driver.mjs`. */
export async function buildDriver(outDir: string): Promise<string> {
  const file = path.join(outDir, 'driver.mjs');
  await build({
    entryPoints: [path.join(projectRoot, 'bench', 'harness', 'lambda-driver.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'silent',
  });
  return file;
}
