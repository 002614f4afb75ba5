/**
 * A repository's columns, written once: one table maps each field of the API shape to its column,
 * and the select list, the row → API mapping, the insert and update lists are all read from it.
 * Placeholders are numbered as values are bound (`Params`), so a new field never renumbers by hand.
 */
import type { Row } from './db.ts';

/** How one field of the API shape is stored. */
export interface FieldColumn {
  /** The table's column. */
  column: string;
  /** The SQL type a written value is cast to (`text`, `date`, `text[]`); only fields a request may write have one. */
  writes?: string;
  /** Written by an insert only, never by an update (e.g. a user's email, fixed at registration): `updateSet` leaves it out. */
  insertOnly?: boolean;
  /**
   * The value of a field the request left out (create) or a stored row lacks (an idempotent
   * replay stored before the column's migration): the spec's `default`. Without one, null.
   */
  default?: unknown;
  /** Turns the stored value into the API's (e.g. a timestamp into ISO text); the value as is by default. */
  read?: (value: never) => unknown;
}

/** A table of fields: every key of the API shape `Api`, so tsc names a field the table misses. */
export type FieldTable<Api> = { [Field in keyof Api]-?: FieldColumn };

/** Values bound to a statement, each read as `$n` in the order added. */
export class Params {
  readonly values: unknown[] = [];

  /** Binds `value` and returns its placeholder, cast to `type` when given. */
  add(value: unknown, type?: string): string {
    this.values.push(value);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }
}

/** The statements' pieces for one table of fields. */
export interface Columns<Api> {
  /** `alias.column, …` for every field, and `extra` columns after them. */
  select(alias: string, extra?: readonly string[]): string;
  /** The API shape of a row (a selected one, or one stored as JSON, where a missing column gets its default). */
  toApi(row: Row): Api;
  /** The default of each field that has one (the spec's `default`s, for a test to compare). */
  defaults: Partial<Record<keyof Api, unknown>>;
  /** The columns a request may write, in table order. */
  writable: ReadonlyArray<{ field: keyof Api & string; column: string; type: string }>;
  /** `$n::type` for each writable field of `input`, bound in `params`; a field left out gets its default. */
  writeValues(params: Params, input: Partial<Api>): string[];
  /**
   * `column = CASE WHEN <sent> THEN <value> ELSE alias.column END` for each writable field but the
   * `insertOnly` ones: absent fields keep their value.
   */
  updateSet(params: Params, alias: string, changes: Partial<Api>): string[];
}

/** The statements' pieces read from `table`. */
export function columnsOf<Api>(table: FieldTable<Api>): Columns<Api> {
  const entries = Object.entries(table) as Array<[keyof Api & string, FieldColumn]>;
  const writable = entries.flatMap(([field, { column, writes }]) => (writes ? [{ field, column, type: writes }] : []));
  const updatable = writable.filter(({ field }) => !table[field].insertOnly);
  const defaults = new Map(entries.map(([field, spec]) => [field, spec.default ?? null]));
  /** Select lists by alias, built once: a statement's text costs no joins per request. */
  const selects = new Map<string, string>();
  const stored = (row: Row, field: keyof Api & string, column: string) => {
    const value = row[column];
    return value === undefined ? structuredClone(defaults.get(field)) : value;
  };
  return {
    select(alias, extra = []) {
      const key = `${alias}:${extra.join()}`;
      let list = selects.get(key);
      if (list === undefined) {
        list = [...entries.map(([, { column }]) => column), ...extra].map((name) => `${alias}.${name}`).join(', ');
        selects.set(key, list);
      }
      return list;
    },
    toApi(row) {
      const api: Record<string, unknown> = {};
      for (const [field, { column, read }] of entries) {
        const value = stored(row, field, column);
        api[field] = read && value !== null ? (read as (value: unknown) => unknown)(value) : value;
      }
      return api as Api;
    },
    defaults: Object.fromEntries(
      entries.flatMap(([field, spec]) => (spec.default === undefined ? [] : [[field, spec.default]])),
    ) as Partial<Record<keyof Api, unknown>>,
    writable,
    writeValues: (params, input) =>
      writable.map(({ field, type }) => params.add(input[field] ?? defaults.get(field) ?? null, type)),
    updateSet: (params, alias, changes) =>
      updatable.map(
        ({ field, column, type }) =>
          `${column} = CASE WHEN ${params.add(field in changes)} THEN ${params.add(changes[field] ?? null, type)} ELSE ${alias}.${column} END`,
      ),
  };
}
