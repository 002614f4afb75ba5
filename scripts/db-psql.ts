/**
 * `npm run db:psql`: a SQL shell on the local database (`npm start` must be running), or on
 * DATABASE_URL when set. Uses the system's psql when there is one; otherwise says how to install
 * it and opens a minimal shell over pg: one statement per `;`, results as tables, `\q` quits
 * (DB_SHELL=mini picks that shell even where psql is installed).
 */
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { localSettings } from './local/settings.ts';

const url = process.env.DATABASE_URL || localSettings().databaseUrl;

function hasPsql(): boolean {
  return spawnSync('psql', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function miniShell(psqlMissing: boolean): Promise<void> {
  if (psqlMissing) {
    console.error(`psql is not installed. Install it for the full client:
  Debian/Ubuntu: sudo apt-get install postgresql-client    macOS: brew install libpq`);
  }
  console.error("A minimal SQL shell over pg (end statements with ';', \\q quits):");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const input = createInterface({ input: process.stdin, output: process.stdout, prompt: 'taskboard=> ' });
  // Input may end while a statement runs (a piped script): the interface then closes, its buffered
  // lines still arrive, and on Node 24 and 26 prompting a closed interface throws ("readline was closed").
  let closed = false;
  input.once('close', () => {
    closed = true;
  });
  const prompt = (): void => {
    if (!closed) input.prompt();
  };
  let pending = '';
  prompt();
  for await (const line of input) {
    if (pending === '' && line.trim() === '\\q') break;
    pending += `${line}\n`;
    if (line.trim().endsWith(';')) {
      try {
        const results = await client.query(pending);
        for (const result of Array.isArray(results) ? results : [results]) {
          if (result.fields.length > 0) console.table(result.rows);
          console.log(`${result.command ?? ''} ${result.rowCount ?? ''}`.trim());
        }
      } catch (error) {
        console.error(`ERROR: ${error instanceof Error ? error.message : String(error)}`);
      }
      pending = '';
    }
    prompt();
  }
  input.close();
  await client.end();
}

async function main(): Promise<void> {
  const psql = hasPsql();
  // DB_SHELL=mini picks the built-in shell even where psql is installed.
  if (psql && process.env.DB_SHELL !== 'mini') {
    const { status } = spawnSync('psql', [url], { stdio: 'inherit' });
    process.exit(status ?? 1);
  }
  await miniShell(!psql);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    /ECONNREFUSED/.test(message)
      ? `Nothing answers at ${url.replace(/\/\/[^@]*@/, '//')}: start the API first (npm start), or set DATABASE_URL.`
      : message,
  );
  process.exit(1);
});
