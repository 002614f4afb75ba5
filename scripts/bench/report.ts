/** The bench's Markdown: the summary table (figure | API | baseline | ratio | target | met?) and formatting. */

export interface Row {
  figure: string;
  api: string;
  baseline: string;
  /** API ÷ baseline; undefined where a ratio means nothing. */
  ratio?: number;
  target: string;
  /** Undefined for figures reported without a target. */
  met?: boolean;
}

/** Milliseconds with `digits` decimals. */
export const ms = (value: number, digits = 2): string => `${value.toFixed(digits)} ms`;

/** A rate in requests per second, rounded. */
export const perSecond = (value: number): string => `${Math.round(value).toLocaleString('en')} req/s`;

/** A size in bytes, with KiB for reading. */
export const bytes = (value: number): string => `${value.toLocaleString('en')} B (${(value / 1024).toFixed(1)} KiB)`;

const ratioText = (ratio: number | undefined) => (ratio === undefined ? '—' : `${ratio.toFixed(2)}×`);

const metText = (met: boolean | undefined) => (met === undefined ? '—' : met ? 'yes' : '**NO**');

const cell = (text: string) => text.replaceAll('|', '\\|');

/** Renders rows as a Markdown table. */
export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| figure | API | baseline | ratio | target | met? |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${cell(row.figure)} | ${cell(row.api)} | ${cell(row.baseline)} | ${ratioText(row.ratio)} | ${cell(row.target)} | ${metText(row.met)} |`,
    ),
  ];
  return lines.join('\n');
}

/** A Markdown table from a header and string cells. */
export function simpleTable(header: readonly string[], body: ReadonlyArray<readonly string[]>): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((line) => `| ${line.map(cell).join(' | ')} |`),
  ].join('\n');
}
