/**
 * Builds the web app (web/ → web/dist) with Vite, and reports the weight of its first load.
 * `npm start` calls `buildWebIfStale()`: it rebuilds only when a hash of the app's sources (web/,
 * client/, the generated types and the lock file) differs from the one stored beside web/dist, so
 * a clean clone gets a built app and an unchanged one starts at once. `npm run web:build` always builds.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const webDist = path.join(root, 'web', 'dist');
const stampFile = path.join(webDist, '.source-hash');

/** The first load of /app/ may weigh at most this much (HTML, JS and CSS, gzip). */
export const firstLoadBudget = 200 * 1024;
/** The anchor: Cloudscape's figure for the same small task page (gzip), from the study. */
export const cloudscapeFirstLoad = 494 * 1024;

const sources = ['web/index.html', 'web/vite.config.ts', 'web/package.json', 'web/tsconfig.json', 'web/src', 'client'];
const generated = ['generated/api.ts', 'generated/operations.ts', 'package-lock.json'];

function filesUnder(relative: string): string[] {
  const full = path.join(root, relative);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full)
    .sort()
    .flatMap((name) => filesUnder(path.join(relative, name)));
}

/** A hash of everything the built app depends on (names and contents). */
export function webSourceHash(): string {
  const hash = createHash('sha256');
  for (const file of [...sources, ...generated].flatMap(filesUnder)) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(path.join(root, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

/** Runs `vite build` for web/ and stores the source hash beside the output. */
export function buildWeb(): void {
  const hash = webSourceHash();
  const vite = path.join(
    path.dirname(createRequire(path.join(root, 'web', 'package.json')).resolve('vite/package.json')),
    'bin',
    'vite.js',
  );
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', path.join(root, 'web', 'vite.config.ts'), '--logLevel', 'warn'],
    { cwd: root, stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error(`Building the web app failed (vite build exited ${result.status}).`);
  writeFileSync(stampFile, `${hash}\n`);
}

/** Builds the app when web/dist is missing or was built from other sources; says whether it built. */
export function buildWebIfStale(log: (line: string) => void = console.log): boolean {
  const built = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
  if (built === webSourceHash() && existsSync(path.join(webDist, 'index.html'))) return false;
  log('Building the web app (web/ → web/dist)…');
  buildWeb();
  return true;
}

export interface FirstLoad {
  /** Each file the first load of /app/ fetches (index.html, then its scripts and stylesheets), gzip bytes. */
  files: { file: string; gzip: number }[];
  total: number;
}

/** What loading /app/ fetches before the app runs: index.html and every script and stylesheet it names. */
export function firstLoad(dist: string = webDist): FirstLoad {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const referenced = [...html.matchAll(/(?:src|href)="\/app\/([^"]+\.(?:js|css))"/g)].map((match) => match[1] ?? '');
  const files = ['index.html', ...new Set(referenced)].map((file) => ({
    file,
    gzip: gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length,
  }));
  return { files, total: files.reduce((sum, { gzip }) => sum + gzip, 0) };
}

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

/** The weight report: the first load against the budget, with Cloudscape's figure as the anchor. */
export function firstLoadReport(load: FirstLoad = firstLoad()): string {
  return [
    `First load of /app/ (HTML + JS + CSS, gzip -9): ${kB(load.total)}   budget ${kB(firstLoadBudget)}   ${load.total <= firstLoadBudget ? 'within' : 'OVER'}`,
    ...load.files.map(({ file, gzip }) => `  ${file.padEnd(40)} ${kB(gzip).padStart(9)}`),
    `  anchor: Cloudscape's same task page ${kB(cloudscapeFirstLoad)} (the issue's study), ${(cloudscapeFirstLoad / load.total).toFixed(1)}x this app`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  buildWeb();
  console.log(firstLoadReport());
}
