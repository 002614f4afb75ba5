/**
 * The JSON Schema formats the spec uses, checked the same way at build time and at run time: the
 * generator registers these with Ajv, and the precompiled validators in generated/ import this
 * module for the formats that need code. Only the four formats the spec names, so the bundle
 * carries four checks instead of ajv-formats' full set.
 */

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/** A calendar date that exists, e.g. `2026-02-28` but not `2026-02-29`. */
function isDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const lastDay = month === 2 && isLeapYear(year) ? 29 : daysInMonth[month - 1];
  return lastDay !== undefined && day >= 1 && day <= lastDay;
}

/** An RFC 3339 date-time with a time zone: `2026-12-02T05:30:00Z`, `…00.123+01:00` (a leap second is allowed). */
function isDateTime(text: string): boolean {
  const match = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/.exec(text);
  if (!match || !isDate(match[1] ?? '')) return false;
  const [hour, minute, second, offsetHour, offsetMinute] = match.slice(2).map((part) => Number(part ?? 0));
  return (
    (hour ?? 24) < 24 &&
    (minute ?? 60) < 60 &&
    (second ?? 61) <= 60 &&
    (offsetHour ?? 0) < 24 &&
    (offsetMinute ?? 0) < 60
  );
}

/**
 * Format name → what Ajv checks: a regular expression (which Ajv inlines into the generated code)
 * or a `validate` function (which the generated code calls from here).
 */
export const formats = {
  /** The canonical 8-4-4-4-12 hexadecimal form PostgreSQL's uuid type prints. */
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  date: { type: 'string', validate: isDate },
  'date-time': { type: 'string', validate: isDateTime },
  /** One `@`, no spaces, a dot in the domain: a shape check; only delivery proves an address. */
  email: /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/,
} as const;

export type FormatName = keyof typeof formats;
