/**
 * Scale: GET /tasks first page and a deep page (the real cursor after paging through 10,000 rows
 * with the real handler) for one owner with 1,000 tasks in the table and, in a second database on
 * the same server, with 1,000,000 (seeded with INSERT … SELECT generate_series). Both through the
 * API bundle in driver processes (pool max 1), in rounds that alternate between the two sizes so
 * load from elsewhere on the machine hits both alike. EXPLAIN (ANALYZE, BUFFERS) runs the
 * statement the handler sent, captured from pg_stat_activity, with the same parameters.
 */
import path from 'node:path';
import type pg from 'pg';
import { childEnv, runDriver } from './children.ts';
import { type BenchDatabase, registerBenchUser, seedTasks } from './database.ts';
import { authorizerClaims, proxyEvent } from './events.ts';
import type { LatencySummary } from './stats.ts';
import { summarise } from './stats.ts';

export interface ScalePoint {
  tasks: number;
  seedSeconds: number;
  /** Rows paged through (pages of up to 100) before the deep page. */
  deepRows: number;
  firstPage: LatencySummary;
  deepPage: LatencySummary;
  explainFirstPage: string;
  explainDeepPage: string;
  /** Whether both plans read the keyset index with no Seq Scan and no Sort. */
  indexOnly: boolean;
}

export interface ScaleResults {
  points: ScalePoint[];
  /** The statement explained, and where its text came from. */
  statement: string;
  statementSource: string;
}

/** listTasksForOwner's statement (handlers/tasks/task-repository.ts); used only if the capture fails. */
const fallbackStatement = `SELECT id, owner_id, title, description, status, priority, to_char(due_date, 'YYYY-MM-DD') AS due_date, version, created_at, updated_at FROM tasks
     WHERE owner_id = $1
       AND ($2::text IS NULL OR status = $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
     ORDER BY created_at DESC, id DESC
     LIMIT $5`;

/** Polls pg_stat_activity for the text of the API's list statement until stopped. */
function captureStatement(client: pg.Client): { stop(): Promise<string | undefined> } {
  let found: string | undefined;
  let running = true;
  const loop = (async () => {
    while (running && !found) {
      const { rows } = await client.query<{ query: string }>(
        `SELECT query FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'taskboard-api'
           AND query LIKE '%FROM tasks%ORDER BY created_at DESC, id DESC%'
         LIMIT 1`,
      );
      found = rows[0]?.query;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return found;
    },
  };
}

async function explain(client: pg.Client, statement: string, values: unknown[]): Promise<string> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement}`, values);
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

/** The plan's nodes, outermost first, e.g. `Limit → Index Scan using tasks_owner_created_idx`. */
export function planShape(plan: string): string {
  const nodes = plan
    .split('\n')
    .map((line) => /^\s*(?:->\s*)?(.+?)\s+\(cost=/.exec(line)?.[1])
    // Keep the index a node reads; drop the table (there is one).
    .map((node) => node?.replace(/^(?!Bitmap Index Scan)(.*) on \S+$/, '$1'))
    .filter((node): node is string => node !== undefined);
  return nodes.join(' → ');
}

const readsKeysetIndex = (plan: string) =>
  /Index (Only )?Scan using tasks_owner_created_idx/.test(plan) &&
  !/Seq Scan/.test(plan) &&
  !/(^|->\s*)(Incremental )?Sort\b/m.test(plan);

interface Prepared {
  tasks: number;
  database: BenchDatabase;
  ownerId: string;
  seedSeconds: number;
  deepRows: number;
  cursor: string;
  first: number[];
  deep: number[];
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
      { env: childEnv({ DATABASE_URL: database.url, DB_POOL_MAX: '1' }), planFile },
    );
    const cursor = walked.result.walk?.cursor;
    if (!cursor) throw new Error('The walk returned no cursor');
    prepared.push({ tasks: size, database, ownerId, seedSeconds, deepRows, cursor, first: [], deep: [] });
  }

  const largest = prepared.at(-1);
  const capture = largest ? captureStatement(largest.database.client) : undefined;
  for (let round = 0; round < options.rounds; round += 1) {
    const order = round % 2 === 0 ? prepared : [...prepared].reverse();
    for (const point of order) {
      const deep = { ...list, queryStringParameters: { cursor: point.cursor } };
      const run = await runDriver(
        options.driver,
        {
          mode: 'load',
          bundle: options.bundle,
          scenarios: [
            { name: 'first page', event: list },
            { name: 'deep page', event: deep },
          ].map((scenario) => ({
            ...scenario,
            warmup: options.warmup,
            iterations: options.iterationsPerRound,
            concurrency: 1,
            expectStatus: 200,
          })),
        },
        { env: childEnv({ DATABASE_URL: point.database.url, DB_POOL_MAX: '1' }), planFile },
      );
      const [first, deepPage] = run.result.load ?? [];
      if (!first || !deepPage) throw new Error('The scale driver reported no results');
      point.first.push(...first.latenciesMs);
      point.deep.push(...deepPage.latenciesMs);
    }
  }
  const statement = await capture?.stop();

  const points: ScalePoint[] = [];
  for (const point of prepared) {
    const [createdAt, id] = JSON.parse(Buffer.from(point.cursor, 'base64url').toString('utf8')) as [string, string];
    const text = statement ?? fallbackStatement;
    const explainFirstPage = await explain(point.database.client, text, [point.ownerId, null, null, null, 21]);
    const explainDeepPage = await explain(point.database.client, text, [point.ownerId, null, createdAt, id, 21]);
    points.push({
      tasks: point.tasks,
      seedSeconds: point.seedSeconds,
      deepRows: point.deepRows,
      firstPage: summarise(point.first),
      deepPage: summarise(point.deep),
      explainFirstPage,
      explainDeepPage,
      indexOnly: readsKeysetIndex(explainFirstPage) && readsKeysetIndex(explainDeepPage),
    });
  }
  return {
    points,
    statement: statement ?? fallbackStatement,
    statementSource: statement
      ? "captured from pg_stat_activity while the API's handler served the pages"
      : 'a copy of listTasksForOwner (the capture from pg_stat_activity found nothing)',
  };
}
