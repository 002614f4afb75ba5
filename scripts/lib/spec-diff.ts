/**
 * The breaking-change gate behind `npm run spec:diff`: compares two bundled specs with
 * api-smart-diff (a maintained, pure-JavaScript OpenAPI 3.0 differ used as a library), classifies
 * every change, and fails on a breaking one unless `info.version`'s major number was raised.
 */
import { apiCompare } from 'api-smart-diff';
import type { OpenApiDocument } from './openapi.ts';

export type ChangeType = 'breaking' | 'deprecated' | 'non-breaking' | 'annotation' | 'unclassified';

export interface SpecChange {
  type: ChangeType;
  action: string;
  /** JSON pointer of the change in the new (or, for a removal, the old) document. */
  pointer: string;
  description: string;
}

export interface SpecDiff {
  changes: SpecChange[];
  breaking: SpecChange[];
  baseVersion: string;
  headVersion: string;
  /** Whether `info.version`'s major number went up, which allows breaking changes. */
  majorRaised: boolean;
  /** Whether the gate passes. */
  passes: boolean;
}

const pointer = (path: ReadonlyArray<string | number>) =>
  `#/${path.map((token) => String(token).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

const major = (version: string) => Number.parseInt(version.split('.')[0] ?? '', 10);

function versionOf(document: OpenApiDocument): string {
  const info = document.info as { version?: unknown } | undefined;
  return typeof info?.version === 'string' ? info.version : '0.0.0';
}

export function compareSpecs(base: OpenApiDocument, head: OpenApiDocument): SpecDiff {
  const { diffs } = apiCompare(withoutGeneratedMarker(base), withoutGeneratedMarker(head));
  const changes: SpecChange[] = diffs.map((diff) => ({
    type: diff.type as ChangeType,
    action: diff.action,
    pointer: pointer(diff.path ?? []),
    description: diff.description ?? `${diff.action} ${pointer(diff.path ?? [])}`,
  }));
  const breaking = changes.filter((change) => change.type === 'breaking');
  const baseVersion = versionOf(base);
  const headVersion = versionOf(head);
  const majorRaised = major(headVersion) > major(baseVersion);
  return {
    changes,
    breaking,
    baseVersion,
    headVersion,
    majorRaised,
    passes: breaking.length === 0 || majorRaised,
  };
}

function withoutGeneratedMarker(document: OpenApiDocument): OpenApiDocument {
  const { 'x-generated': _marker, ...rest } = document;
  return rest as OpenApiDocument;
}

const order: ChangeType[] = ['breaking', 'deprecated', 'unclassified', 'non-breaking', 'annotation'];

/** The changes grouped by class, most severe first, and the verdict. */
export function formatSpecDiff(diff: SpecDiff, labels: { base: string; head: string }): string {
  const lines = [`spec:diff ${labels.base} (${diff.baseVersion}) → ${labels.head} (${diff.headVersion})`];
  if (diff.changes.length === 0) lines.push('  no changes');
  for (const type of order) {
    const ofType = diff.changes.filter((change) => change.type === type);
    if (ofType.length === 0) continue;
    lines.push(`  ${type} (${ofType.length}):`);
    for (const change of ofType) lines.push(`    - ${change.description} [${change.pointer}]`);
  }
  if (diff.breaking.length === 0) lines.push('OK: no breaking change.');
  else if (diff.majorRaised) {
    lines.push(`OK: ${diff.breaking.length} breaking change(s), and info.version's major number was raised.`);
  } else {
    lines.push(
      `FAIL: ${diff.breaking.length} breaking change(s). Make the change additive, or raise info.version's major number ` +
        `(openapi/openapi.yaml, now ${diff.headVersion}) to release a new major version.`,
    );
  }
  return lines.join('\n');
}

/** Bundles the spec of the checkout (or extracted tree) at `projectRoot`, without linting it. */
export async function bundleSpecAt(projectRoot: string): Promise<OpenApiDocument> {
  const { lintAndBundle, specFiles } = await import('./redocly.ts');
  return lintAndBundle(specFiles(projectRoot), { lint: false });
}
