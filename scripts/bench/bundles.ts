/**
 * Production bundles, built the way the CDK NodejsFunction builds the API function (esbuild:
 * platform node, target node22, ESM, minified, the createRequire banner, `@aws-sdk/*` and
 * `pg-native` external — the bundling props of infra/constructs/house-function.ts), for the API
 * entry and the bare baseline; and the bench's lambda driver.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { lambdaBundling } from '../../infra/bundling.ts';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The entry points the bench bundles. */
export const entries = {
  api: path.join(projectRoot, 'handlers', 'api.ts'),
  baseline: path.join(projectRoot, 'bench', 'baseline', 'bare-handler.ts'),
  driver: path.join(projectRoot, 'scripts', 'bench', 'lambda-driver.ts'),
};

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
  logLevel: 'silent',
};

export interface LambdaBundle {
  file: string;
  bytes: number;
  /** Size of the external source map of a second build with `sourcemap: true` (the deployed setting). */
  sourceMapBytes: number;
  /** That build's code: same as `bytes` plus the sourceMappingURL comment. */
  withSourceMapFile: string;
}

/** Bundles `entry` into `outDir/<name>.mjs`, and once more with a source map into `outDir/<name>-sourcemap/`. */
export async function buildLambdaBundle(entry: string, outDir: string, name: string): Promise<LambdaBundle> {
  const file = path.join(outDir, `${name}.mjs`);
  await build({ ...lambdaOptions, entryPoints: [entry], outfile: file, sourcemap: false });
  const withSourceMapFile = path.join(outDir, `${name}-sourcemap`, 'index.mjs');
  await build({ ...lambdaOptions, entryPoints: [entry], outfile: withSourceMapFile, sourcemap: true });
  return {
    file,
    bytes: statSync(file).size,
    sourceMapBytes: statSync(`${withSourceMapFile}.map`).size,
    withSourceMapFile,
  };
}

/** Bundles the lambda driver (node built-ins only) into `outDir/driver.mjs`. */
export async function buildDriver(outDir: string): Promise<string> {
  const file = path.join(outDir, 'driver.mjs');
  await build({
    entryPoints: [entries.driver],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'silent',
  });
  return file;
}
