/** The infra project's global setup: the stack publishes docs/ (the page and its scripts), so build them once if they are missing or stale. */
import { buildDocs, defaultDocsFile, docsAreCurrent } from '../../../scripts/docs.ts';

export default function setup(): void {
  if (docsAreCurrent()) return;
  buildDocs(defaultDocsFile);
}
