/**
 * `npm run docs`: the Redoc page (docs/index.html) and its scripts (docs/*.js), silent and runnable
 * under a Content-Security-Policy with no inline script (infra/docs-page.ts). `redocly build-docs
 * --inlineBundle` writes one page whose Redoc bundle, spec and start-up run from inline scripts; here
 * they become files beside the page: the bundle (`redoc.<hash>.js`, an ES module), the start-up with
 * the spec (`init.<hash>.js`, which imports the bundle) and Redoc's colour-mode snippet
 * (`color-mode.<hash>.js`, run from <head> before the first paint, as the inline one was). The page
 * references them as `/docs/<name>`, which resolves the same from `/docs` and `/docs/`; the hash in
 * each name lets a cached page never meet the scripts of another build.
 *
 * The built page also reports telemetry to Redocly unless `disableTelemetry` is set (the CLI drops that
 * option from the page it writes) and loads the "API docs by Redocly" logo from Redocly's CDN; both are
 * fixed here. The browser check (test/external/browser-check.ts) proves the page renders under the
 * docs' CSP and makes no request to any other host.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { docsScriptName, docsScriptNames, docsScriptPath } from '../infra/docs-page.ts';

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

/** The docs page without inline script, and its scripts by file name. */
export interface DocsFiles {
  page: string;
  scripts: Record<string, string>;
}

const named = (part: string, content: string) =>
  `${part}.${createHash('sha256').update(content).digest('hex').slice(0, 12)}.js`;

/** An inline script: `<script>` or `<script type="module">` with a body, no `src`. */
const inlineScript = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

/**
 * Moves every inline script of a page written by `redocly build-docs --inlineBundle` into a file.
 * Throws, naming what it did not expect, when the page is shaped otherwise (a new Redocly version),
 * rather than leave an inline script the docs' CSP would refuse.
 */
export function splitDocs(html: string): DocsFiles {
  const scripts: Record<string, string> = {};
  const head: string[] = [];
  let page = html;
  for (const [tag, body = ''] of html.matchAll(inlineScript)) {
    if (body.trim() === '') continue;
    if (tag.startsWith('<script type="module">')) {
      // The bundle ends by exporting `hydrate`; what follows declares the spec and the options and calls it.
      const start = body.indexOf('const __redoc_definition');
      const bundle = body.slice(0, start).trim();
      if (start < 0 || !/export\s*\{[^}]*\bhydrate\b[^}]*\}\s*;?$/.test(bundle)) {
        throw new Error('The built docs page’s module script is not "bundle exporting hydrate, then start-up".');
      }
      const bundleName = named('redoc', bundle);
      const init = `import { hydrate } from './${bundleName}';\n${body.slice(start).trim()}\n`;
      const initName = named('init', init);
      scripts[bundleName] = `${bundle}\n`;
      scripts[initName] = init;
      head.push(
        `<link rel="modulepreload" href="${docsScriptPath}${bundleName}">`,
        `<script type="module" src="${docsScriptPath}${initName}"></script>`,
      );
      page = page.replace(tag, '');
    } else if (body.includes('redoc.colorMode') && body.length < 1000) {
      // Inside the server-rendered markup React hydrates: left there empty (an empty script runs
      // nothing and breaks no policy), and run from <head> instead, before the first paint.
      const name = named('color-mode', body);
      scripts[name] = `${body}\n`;
      head.unshift(`<script src="${docsScriptPath}${name}"></script>`);
      page = page.replace(tag, '<script></script>');
    } else {
      throw new Error(`The built docs page has an inline script this build does not know: ${body.slice(0, 80)}…`);
    }
  }
  if (!Object.keys(scripts).some((name) => name.startsWith('init.'))) {
    throw new Error('The built docs page has no Redoc module script: has redocly build-docs changed?');
  }
  if (!page.includes('</head>')) throw new Error('The built docs page has no </head>.');
  page = page.replace('</head>', `  ${head.join('\n  ')}\n</head>`);
  return { page, scripts };
}

/**
 * Builds the docs for `spec` (a document, or the bundled spec file): the page into `output` and its
 * scripts beside it, replacing the scripts of an earlier build there.
 */
export function buildDocs(
  output: string = defaultDocsFile,
  spec: string | Record<string, unknown> = defaultSpecFile,
): DocsFiles {
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
  const docs = splitDocs(silenceDocs(readFileSync(output, 'utf8')));
  const dir = path.dirname(output);
  for (const stale of readdirSync(dir).filter((name) => docsScriptName.test(name))) {
    rmSync(path.join(dir, stale));
  }
  for (const [name, content] of Object.entries(docs.scripts)) writeFileSync(path.join(dir, name), content);
  writeFileSync(output, docs.page);
  return docs;
}

/**
 * Whether the docs at `output` are a build of the current spec file: the page is newer than the spec
 * and every script it loads is beside it. A page from before the scripts moved out (all inline, which
 * the docs' CSP refuses) loads none, so it counts as stale.
 */
export function docsAreCurrent(output: string = defaultDocsFile, specFile: string = defaultSpecFile): boolean {
  if (!existsSync(output) || statSync(output).mtimeMs < statSync(specFile).mtimeMs) return false;
  const names = docsScriptNames(readFileSync(output, 'utf8'));
  return names.length > 0 && names.every((name) => existsSync(path.join(path.dirname(output), name)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildDocs(process.argv[2] ?? defaultDocsFile);
  console.log(`wrote ${path.relative(root, process.argv[2] ?? defaultDocsFile)} and its scripts`);
}
