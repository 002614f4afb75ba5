/** The infra project's global setup: the stack publishes docs/index.html, so build it once if it is missing or stale. */
import { existsSync, statSync } from 'node:fs';
import { buildDocs, defaultDocsFile, defaultSpecFile } from '../../../scripts/docs.ts';

export default function setup(): void {
  if (existsSync(defaultDocsFile) && statSync(defaultDocsFile).mtimeMs >= statSync(defaultSpecFile).mtimeMs) return;
  buildDocs(defaultDocsFile);
}
