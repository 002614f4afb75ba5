/** The bench's Markdown: tables and number formatting. */

/** Milliseconds with `digits` decimals. */
export const ms = (value: number, digits = 2): string => `${value.toFixed(digits)} ms`;

/** A rate in requests per second, rounded. */
export const perSecond = (value: number): string => `${Math.round(value).toLocaleString('en')} req/s`;

/** A size in bytes, in kB (1,000 B) for reading. */
export const kilobytes = (value: number): string => `${(value / 1000).toFixed(1)} kB`;

/** A ratio, e.g. `1.07×`. */
export const times = (value: number): string => `${value.toFixed(2)}×`;

const cell = (text: string) => text.replaceAll('|', '\\|');

/** A Markdown table from a header and string cells. */
export function markdownTable(header: readonly string[], body: ReadonlyArray<readonly string[]>): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((line) => `| ${line.map(cell).join(' | ')} |`),
  ].join('\n');
}
