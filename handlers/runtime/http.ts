/** HTTP details shared by the runtime: ETags, JSON canonical form, cursors. */
import { createHash } from 'node:crypto';
import { BadRequestError } from './errors.ts';

/** A strong ETag for a row version. */
export const etag = (version: number): string => `"${version}"`;

/** The entity tags of an `If-Match` or `If-None-Match` list (RFC 9110 §13.1), weak ones marked; `*` is its own case. */
function entityTags(header: string): Array<{ weak: boolean; version: number | undefined }> {
  return header.split(',').map((candidate) => {
    const match = /^\s*(W\/)?"([^"]*)"\s*$/.exec(candidate);
    const opaque = match?.[2];
    return {
      weak: match?.[1] !== undefined,
      version: opaque !== undefined && /^\d{1,9}$/.test(opaque) ? Number(opaque) : undefined,
    };
  });
}

/**
 * The versions an `If-Match` header allows a write on: undefined when absent or `*` (any version);
 * otherwise those of its strong tags (RFC 9110 §13.1.1 compares strongly), possibly none — a list
 * of tags this API never issued matches no version, so the write answers 412.
 */
export function ifMatchVersions(ifMatch: string | undefined): number[] | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  return entityTags(ifMatch).flatMap((tag) => (!tag.weak && tag.version !== undefined ? [tag.version] : []));
}

/** Whether `If-None-Match` names the current version (weak comparison, RFC 9110 §13.1.2): a GET answers 304. */
export function ifNoneMatchHits(ifNoneMatch: string | undefined, version: number): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return entityTags(ifNoneMatch).some((tag) => tag.version === version);
}

/** Stable JSON: object keys sorted, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The API's timestamp form: ISO 8601 in UTC with milliseconds, as `Date#toISOString` writes it. */
const isoForm = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * A timestamp as the API shows it: kept as it is when a statement's row already carries it in that
 * form (db.ts reads timestamptz so); re-formatted from JSON stored by PostgreSQL (an idempotent
 * replay) or from a Date.
 */
export const isoTimestamp = (value: Date | string): string =>
  typeof value === 'string' && isoForm.test(value) ? value : new Date(value).toISOString();

/** The position after the last item of a page: its sort timestamp and id. */
export interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Decodes a `cursor` query parameter; a cursor this API did not issue is a 400. */
export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  const invalid = new BadRequestError('The cursor is not one this API issued.', [
    { path: '/query/cursor', message: 'must be a nextCursor returned by this API' },
  ]);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid;
  const [createdAt, id] = decoded as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !uuidPattern.test(id)) throw invalid;
  if (Number.isNaN(Date.parse(createdAt))) throw invalid;
  return { createdAt, id };
}

/**
 * One page from `limit + 1` rows fetched in keyset order: the extra row only says whether a next
 * page exists, and `nextCursor` points after the last item shown (its `createdAt` and `id`).
 */
export function toPage<Row, Item extends Cursor>(
  rows: Row[],
  limit: number,
  item: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const items = rows.slice(0, limit).map(item);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** A compiled OpenAPI path template: `/tasks/{taskId}` → a regex capturing `taskId`. */
export interface PathPattern {
  pattern: RegExp;
  parameterNames: string[];
  /** Characters outside `{…}`: more literal text is the more specific template. */
  literalLength: number;
}

/**
 * Compiles a path template (trailing slash allowed); order templates by `literalLength`, longest first.
 * API Gateway's greedy `{name+}` matches one or more whole segments and sorts after every other template.
 */
export function compilePathTemplate(template: string): PathPattern {
  const parameterNames: string[] = [];
  let greedy = false;
  const source = template
    .split('/')
    .map((segment) => {
      const name = /^\{(.+)\}$/.exec(segment)?.[1];
      if (!name) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (name.endsWith('+')) {
        greedy = true;
        parameterNames.push(name.slice(0, -1));
        return '(.+?)';
      }
      parameterNames.push(name);
      return '([^/]+)';
    })
    .join('/');
  return {
    pattern: new RegExp(`^${source}/?$`),
    parameterNames,
    literalLength: greedy ? -1 : template.replace(/\{[^}]+\}/g, '').length,
  };
}

/** Sorts compiled templates so a literal segment wins over a parameter (`/users/me` before `/users/{userId}`). */
export const mostSpecificFirst = (a: PathPattern, b: PathPattern): number => b.literalLength - a.literalLength;
