/**
 * Scale: GET /tasks first page and a deep page (the real cursor after paging through 10,000 rows
 * with the real handler) for one owner with 1,000 tasks in the table and, in a second database on
 * the same server, with 1,000,000 (seeded with INSERT … SELECT generate_series). Both through the
 * API bundle in driver processes (pool max 1), in rounds that alternate between the two sizes so
 * load from elsewhere on the machine hits both alike. EXPLAIN (ANALYZE, BUFFERS) runs the very
 * statement the handler sent for each page, with the values it bound, read off the wire by the
 * statement counter.
 */
import path from 'node:path';
import type { SentStatement } from '../../test/support/statement-counter.ts';
import { lambdaEnv, runDriver } from './children.ts';
import { type BenchDatabase, registerBenchUser, seedTasks } from './database.ts';
import { authorizerClaims, proxyEvent } from './events.ts';
import type { Step } from './protocol.ts';
import { median } from './stats.ts';

export interface ScalePoint {
  tasks: number;
  seedSeconds: number;
  /** Rows paged through (pages of up to 100) before the deep page. */
  deepRows: number;
  firstPageP50Ms: number;
  deepPageP50Ms: number;
  firstPageP99Ms: number;
  deepPageP99Ms: number;
  explainFirstPage: string;
  explainDeepPage: string;
  /** Whether both plans read a keyset index, with no Seq Scan and no Sort of more than a page. */
  indexOnly: boolean;
}

export interface ScaleResults {
  points: ScalePoint[];
  /** The list statement the API sent (the last of its statements that reads tasks in keyset order). */
  statement: string;
}

/** The plan's nodes, outermost first, e.g. `Limit → Index Scan using tasks_owner_created_idx`. */
export function planShape(plan: string): string {
  const nodes = plan
    .split('\n')
    .map((line) => /^\s*(?:->\s*)?(.+?)\s+\(cost=/.exec(line)?.[1])
    // Keep the index a node reads; drop the table.
    .map((node) => node?.replace(/^(?!Bitmap Index Scan)(.*) on \S+(?: \S+)?$/, '$1'))
    .filter((node): node is string => node !== undefined);
  return nodes.join(' → ');
}

/** A keyset index read, no Seq Scan of tasks, and any Sort only over at most a page (101 rows). */
export function readsKeysetIndex(plan: string): boolean {
  const lines = plan.split('\n');
  const bigSort = lines.some((line) => {
    const sort = /^\s*(?:->\s*)?(?:Incremental )?Sort\b.*actual time=\S+ rows=(\d+)/.exec(line);
    return sort !== null && Number(sort[1]) > 101;
  });
  return /Index (Only )?Scan using tasks_owner_\w+_idx/.test(plan) && !/Seq Scan on tasks/.test(plan) && !bigSort;
}

/** The statement of a recorded request that pages through tasks. */
function listStatement(statements: SentStatement[]): SentStatement {
  const found = statements.filter((statement) => /\btasks\b/.test(statement.text) && /ORDER BY/i.test(statement.text));
  const statement = found.at(-1);
  if (!statement) throw new Error(`No list statement among: ${statements.map((s) => s.text).join(' | ')}`);
  return statement;
}

interface Prepared {
  tasks: number;
  database: BenchDatabase;
  seedSeconds: number;
  deepRows: number;
  first: Step;
  deep: Step;
  firstP50: number[];
  deepP50: number[];
  firstP99: number[];
  deepP99: number[];
}

/** Seeds a database per size, finds the deep cursor, measures both pages in alternating rounds and explains them. */
export async function measureScale(options: {
  driver: string;
  bundle: string;
  workDir: string;
  createDatabase: (label: string) => Promise<BenchDatabase>;
  sizes: number[];
  deepRows: number;
  rounds: number;
  warmup: number;
  iterationsPerRound: number;
  log: (message: string) => void;
}): Promise<ScaleResults> {
  const planFile = path.join(options.workDir, 'scale-plan.json');
  const email = 'bench-scale@example.com';
  const list = proxyEvent({ method: 'GET', path: '/tasks', claims: authorizerClaims(email) });
  const env = (database: BenchDatabase) => lambdaEnv(database.url);

  const prepared: Prepared[] = [];
  for (const size of options.sizes) {
    const database = await options.createDatabase(`tasks_${size}`);
    const seedStarted = performance.now();
    const ownerId = await registerBenchUser(database.client, email);
    await seedTasks(database.client, ownerId, 1, size);
    await database.client.query('VACUUM ANALYZE');
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    options.log(`  ${size.toLocaleString('en')} tasks seeded and analysed in ${seedSeconds.toFixed(1)} s`);
    // Fewer rows than a deep page needs: the deep page is the last full page.
    const deepRows = Math.min(options.deepRows, size - 20);
    const walked = await runDriver(
      options.driver,
      { mode: 'walk', bundle: options.bundle, event: list, rows: deepRows },
      { env: env(database), planFile },
    );
    const cursor = walked.result.walk?.cursor;
    if (!cursor) throw new Error('The walk returned no cursor');
    prepared.push({
      tasks: size,
      database,
      seedSeconds,
      deepRows,
      first: { name: 'first page', event: list, expectStatus: 200 },
      deep: { name: 'deep page', event: { ...list, queryStringParameters: { cursor } }, expectStatus: 200 },
      firstP50: [],
      deepP50: [],
      firstP99: [],
      deepP99: [],
    });
  }

  for (let round = 0; round < options.rounds; round += 1) {
    const order = round % 2 === 0 ? prepared : [...prepared].reverse();
    for (const point of order) {
      const run = await runDriver(
        options.driver,
        {
          mode: 'load',
          bundle: options.bundle,
          scenarios: [point.first, point.deep].map((step) => ({
            ...step,
            warmup: options.warmup,
            iterations: options.iterationsPerRound,
          })),
        },
        { env: env(point.database), planFile },
      );
      const [first, deep] = run.result.load ?? [];
      if (!first || !deep) throw new Error('The scale driver reported no results');
      point.firstP50.push(first.p50Ms);
      point.deepP50.push(deep.p50Ms);
      point.firstP99.push(first.p99Ms);
      point.deepP99.push(deep.p99Ms);
    }
  }

  const points: ScalePoint[] = [];
  let statement = '';
  for (const point of prepared) {
    const recorded = await runDriver(
      options.driver,
      { mode: 'record', bundle: options.bundle, steps: [point.first, point.deep] },
      { env: env(point.database), planFile },
    );
    const [first, deep] = (recorded.result.record ?? []).map((step) => listStatement(step.statements));
    if (!first || !deep) throw new Error('The scale recording reported no statements');
    statement = first.text;
    const explain = async ({ text, values }: SentStatement) => {
      const { rows } = await point.database.client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS) ${text}`,
        values,
      );
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    };
    const explainFirstPage = await explain(first);
    const explainDeepPage = await explain(deep);
    points.push({
      tasks: point.tasks,
      seedSeconds: point.seedSeconds,
      deepRows: point.deepRows,
      firstPageP50Ms: median(point.firstP50),
      deepPageP50Ms: median(point.deepP50),
      firstPageP99Ms: median(point.firstP99),
      deepPageP99Ms: median(point.deepP99),
      explainFirstPage,
      explainDeepPage,
      indexOnly: readsKeysetIndex(explainFirstPage) && readsKeysetIndex(explainDeepPage),
    });
  }
  return { points, statement };
}
