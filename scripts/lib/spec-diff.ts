/**
 * The breaking-change gate behind `npm run spec:diff`: compares two bundled specs with
 * api-smart-diff (a maintained, pure-JavaScript OpenAPI 3.0 differ used as a library), classifies
 * every change by what clients see, and fails on a breaking one unless `info.version`'s major
 * number was raised.
 *
 * What clients see is the paths, so both specs are compared with every `$ref` in them inlined and
 * without their reusable components: a change to a component is judged once per place an operation
 * uses it, never on its own (an unused component changes nothing a client sees). Each change to a
 * schema keyword is then judged by who reads the value:
 * - a request body or parameter is read by the server: narrowing what it accepts (a new required
 *   field, a removed enum value, a tighter limit, a required parameter) breaks the clients that send it;
 * - a response is read by clients: widening what it may hold (a new enum value, `nullable` added,
 *   a required field made optional) breaks the clients that read it, narrowing it (a new required
 *   field, `nullable` removed, a tighter limit) breaks none.
 * A changed `type` breaks both. Other changes keep api-smart-diff's classification.
 */
import { apiCompare } from 'api-smart-diff';
import type { OpenApiDocument } from './openapi.ts';

export type ChangeType = 'breaking' | 'deprecated' | 'non-breaking' | 'annotation' | 'unclassified';

export interface SpecChange {
  type: ChangeType;
  action: string;
  /** JSON pointer of the change in the new (or, for a removal, the old) document, refs inlined. */
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

type Path = ReadonlyArray<string | number>;

const pointer = (path: Path) =>
  `#/${path.map((token) => String(token).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

const major = (version: string) => Number.parseInt(version.split('.')[0] ?? '', 10);

function versionOf(document: OpenApiDocument): string {
  const info = document.info as { version?: unknown } | undefined;
  return typeof info?.version === 'string' ? info.version : '0.0.0';
}

function resolve(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`spec:diff compares bundled specs; unresolved reference ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => (node as Record<string, unknown> | undefined)?.[token], document);
}

/** `node` with every `$ref` replaced by its target; a reference back into its own ancestry stays a `$ref`. */
function inline(document: OpenApiDocument, node: unknown, ancestry: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(node)) return node.map((item) => inline(document, item, ancestry));
  if (node === null || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  if (typeof record.$ref === 'string') {
    if (ancestry.has(record.$ref)) return record;
    return inline(document, resolve(document, record.$ref), new Set([...ancestry, record.$ref]));
  }
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, inline(document, value, ancestry)]));
}

/** The document as clients see it: paths with references inlined; of the components, only the security schemes (named, not referenced). */
function asClientsSeeIt(document: OpenApiDocument): OpenApiDocument {
  const { 'x-generated': _marker, components, paths, ...rest } = document;
  const securitySchemes = components?.securitySchemes;
  return {
    ...rest,
    paths: inline(document, paths) as OpenApiDocument['paths'],
    ...(securitySchemes ? { components: { securitySchemes } } : {}),
  } as OpenApiDocument;
}

/** Who reads the value at `path`: the server (a request's body or parameters) or clients (a response). */
function readerOf(path: Path): 'server' | 'client' | undefined {
  if (path[0] !== 'paths') return undefined;
  if (path.includes('responses')) return 'client';
  if (path.includes('requestBody') || path.includes('parameters')) return 'server';
  return undefined;
}

type Effect = 'narrows' | 'widens' | 'retypes';

const upperLimits = new Set(['maxLength', 'maxItems', 'maximum', 'maxProperties']);
const lowerLimits = new Set(['minLength', 'minItems', 'minimum', 'minProperties']);

/**
 * Whether a change to a schema keyword narrows or widens the values the schema allows; undefined
 * for a change this judgement does not cover (left to api-smart-diff).
 */
function effectOf(path: Path, action: string, before: unknown, after: unknown): Effect | undefined {
  const last = path.at(-1);
  const parent = path.at(-2);
  if (parent === 'enum' || parent === 'required') {
    if (action === 'add') return parent === 'enum' ? 'widens' : 'narrows';
    if (action === 'remove') return parent === 'enum' ? 'narrows' : 'widens';
    return 'retypes';
  }
  if (last === 'nullable') {
    const was = action === 'add' ? false : before === true;
    const is = action === 'remove' ? false : after === true;
    if (was === is) return undefined;
    return is ? 'widens' : 'narrows';
  }
  if (last === 'type' && action === 'replace') return 'retypes';
  if (typeof last === 'string' && (upperLimits.has(last) || lowerLimits.has(last))) {
    if (action === 'add') return 'narrows';
    if (action === 'remove') return 'widens';
    if (typeof before !== 'number' || typeof after !== 'number') return undefined;
    const tighter = upperLimits.has(last) ? after < before : after > before;
    return tighter ? 'narrows' : 'widens';
  }
  if (last === 'pattern' || last === 'format') {
    return action === 'remove' ? 'widens' : 'narrows';
  }
  if (last === 'uniqueItems') {
    const was = action === 'add' ? false : before === true;
    const is = action === 'remove' ? false : after === true;
    if (was === is) return undefined;
    return is ? 'narrows' : 'widens';
  }
  return undefined;
}

/** A parameter added to an operation or a path: breaking only when it is required. */
function isAddedParameter(path: Path, action: string): boolean {
  return action === 'add' && path.at(-2) === 'parameters' && typeof path.at(-1) === 'number';
}

interface RawDiff {
  type: string;
  action: string;
  path?: Path;
  before?: unknown;
  after?: unknown;
  description?: string;
}

/** The change as judged by its reader, with a description that says what it is. */
function judge(diff: RawDiff): SpecChange {
  const path = diff.path ?? [];
  const change: SpecChange = {
    type: diff.type as ChangeType,
    action: diff.action,
    pointer: pointer(path),
    description: diff.description || `${diff.action} ${pointer(path)}`,
  };
  if (isAddedParameter(path, diff.action)) {
    const parameter = diff.after as { name?: string; in?: string; required?: boolean };
    const required = parameter.required === true;
    return {
      ...change,
      type: required ? 'breaking' : 'non-breaking',
      description: `[Added] ${required ? 'required' : 'optional'} ${parameter.in} parameter \`${parameter.name}\``,
    };
  }
  const reader = readerOf(path);
  const effect = reader && effectOf(path, diff.action, diff.before, diff.after);
  if (!effect) return change;
  const breaks = effect === 'retypes' || (reader === 'server' ? effect === 'narrows' : effect === 'widens');
  const who = reader === 'server' ? 'what the server accepts' : 'what clients read';
  return {
    ...change,
    type: breaks ? 'breaking' : 'non-breaking',
    description: `${change.description} (${effect === 'retypes' ? 'changes the type of' : effect} ${who})`,
  };
}

export function compareSpecs(base: OpenApiDocument, head: OpenApiDocument): SpecDiff {
  const { diffs } = apiCompare(asClientsSeeIt(base), asClientsSeeIt(head));
  const changes = (diffs as RawDiff[]).map(judge);
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
