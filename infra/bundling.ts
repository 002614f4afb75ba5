/**
 * How every Lambda bundle is built: the one description HouseFunction hands NodejsFunction and the
 * benchmark hands esbuild, so what is measured is what is deployed. Plain values, no CDK imports.
 */

/**
 * ESM bundles still contain CommonJS packages (pg, postgres-migrations) that call `require` and read
 * `__dirname`, which ES modules do not define.
 */
export const esmBanner = [
  "import { createRequire as __houseCreateRequire } from 'node:module';",
  "import { fileURLToPath as __houseFileURLToPath } from 'node:url';",
  "import { dirname as __houseDirname } from 'node:path';",
  'const require = __houseCreateRequire(import.meta.url);',
  'const __filename = __houseFileURLToPath(import.meta.url);',
  'const __dirname = __houseDirname(__filename);',
].join(' ');

export const lambdaBundling = {
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcesContent: false,
  banner: esmBanner,
  // The Node.js 24 runtime ships the AWS SDK v3; pg-native is an optional pg dependency we do not use.
  externalModules: ['@aws-sdk/*', 'pg-native'],
} as const;
