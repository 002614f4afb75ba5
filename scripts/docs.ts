/**
 * `npm run docs`: the Redoc page (docs/index.html), self-contained and silent. `redocly build-docs
 * --inlineBundle` inlines the spec and Redoc, but its page still reports telemetry to Redocly unless
 * `disableTelemetry` is set (the CLI drops that option from the page it writes) and loads the
 * "API docs by Redocly" logo from Redocly's CDN; both are fixed here in the built page. The browser
 * check (test/external/browser-check.ts) proves the page makes no request to any other host.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const defaultSpecFile = path.join(root, 'generated', 'openapi.json');
export const defaultDocsFile = path.join(root, 'docs', 'index.html');

/** A neutral stand-in for the CDN logo, inline. */
const inlineLogo = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')}`;

/** Makes a page written by `redocly build-docs` send no telemetry and load nothing from elsewhere. */
export function silenceDocs(html: string): string {
  const options = /const __redoc_options = (\{.*?\});/.exec(html);
  if (!options?.[1]) throw new Error('The built docs page has no __redoc_options: has redocly build-docs changed?');
  const silenced = { ...(JSON.parse(options[1]) as Record<string, unknown>), disableTelemetry: true };
  return html
    .replace(options[0], `const __redoc_options = ${JSON.stringify(silenced)};`)
    .replace(/https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(?:-full)?\.svg/g, inlineLogo);
}

/** Builds the docs page for `spec` (a document, or the bundled spec file) into `output`. */
export function buildDocs(
  output: string = defaultDocsFile,
  spec: string | Record<string, unknown> = defaultSpecFile,
): void {
  const specFile = typeof spec === 'string' ? spec : path.join(tmpdir(), `taskboard-docs-spec-${process.pid}.json`);
  if (typeof spec !== 'string') writeFileSync(specFile, JSON.stringify(spec));
  try {
    execFileSync(
      path.join(root, 'node_modules', '.bin', 'redocly'),
      ['build-docs', specFile, '--inlineBundle', '-o', output],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
  } finally {
    if (typeof spec !== 'string') rmSync(specFile, { force: true });
  }
  writeFileSync(output, silenceDocs(readFileSync(output, 'utf8')));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildDocs(process.argv[2] ?? defaultDocsFile);
  console.log(`wrote ${path.relative(root, process.argv[2] ?? defaultDocsFile)}`);
}
