/**
 * Redocly in-process: lints and bundles the spec with the project's redocly.yaml (its `recommended`
 * preset and custom `rule/…` assertions) through @redocly/openapi-core, instead of starting the
 * CLI twice. Used by `npm run generate` and `npm run spec:diff`.
 */
import path from 'node:path';
import { BaseResolver, bundle, formatProblems, getTotals, lint, loadConfig } from '@redocly/openapi-core';
import type { OpenApiDocument } from './openapi.ts';

export interface SpecFiles {
  /** The spec's root file, e.g. openapi/openapi.yaml. */
  root: string;
  /** The Redocly config, e.g. redocly.yaml next to openapi/. */
  config: string;
}

/** The spec files of the checkout rooted at `projectRoot`. */
export function specFiles(projectRoot: string): SpecFiles {
  return {
    root: path.join(projectRoot, 'openapi', 'openapi.yaml'),
    config: path.join(projectRoot, 'redocly.yaml'),
  };
}

export class SpecLintError extends Error {
  override name = 'SpecLintError';
}

/**
 * Lints the spec (printing problems like `redocly lint --format stylish`) and bundles it, as the
 * CLI's `bundle` command does. Throws SpecLintError when the lint reports an error.
 */
export async function lintAndBundle(
  files: SpecFiles,
  options: { lint?: boolean; cwd?: string } = {},
): Promise<OpenApiDocument> {
  const config = await loadConfig({ configPath: files.config });
  const externalRefResolver = new BaseResolver(config.resolve);
  if (options.lint !== false) {
    const problems = await lint({ ref: files.root, config, externalRefResolver });
    const totals = getTotals(problems);
    if (problems.length > 0) {
      formatProblems(problems, { format: 'stylish', totals, cwd: options.cwd ?? path.dirname(files.config) });
    }
    if (totals.errors > 0) {
      throw new SpecLintError(`${files.root}: ${totals.errors} lint error(s); fix them and run again.`);
    }
  }
  const { bundle: result, problems } = await bundle({ ref: files.root, config, externalRefResolver });
  const errors = problems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0) {
    throw new SpecLintError(`${files.root}: ${errors.map((problem) => problem.message).join('; ')}`);
  }
  return sortTopLevelKeys(result.parsed as OpenApiDocument);
}

/** The CLI's `bundle` writes the top-level keys in this order, then the rest; keep generated/ the same. */
const topLevelOrder = [
  'openapi',
  'info',
  'jsonSchemaDialect',
  'servers',
  'security',
  'tags',
  'externalDocs',
  'paths',
  'webhooks',
  'x-webhooks',
  'components',
];

function sortTopLevelKeys(document: OpenApiDocument): OpenApiDocument {
  const sorted: Record<string, unknown> = {};
  for (const key of topLevelOrder) if (Object.hasOwn(document, key)) sorted[key] = document[key];
  return Object.assign(sorted, document) as OpenApiDocument;
}
