/**
 * Child processes of the bench: lambda drivers (a plan in, one result out, timed from spawn to
 * report). Children get a clean environment — no NODE_OPTIONS or loader flags from the parent's
 * tsx — plus what they need.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DriverPlan, DriverResult, LoadResult, Turn } from './protocol.ts';

/**
 * A minimal environment, like a Lambda function's: PATH, and the variables the stack gives the API
 * function that change its work per request (infra/constructs/api.ts: LOG_LEVEL info, METRICS emf,
 * so the API logs and writes metrics as deployed), with one pooled connection, as on
 * Lambda. The peers and the floor ignore what they do not read.
 */
export const lambdaEnv = (databaseUrl: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  DATABASE_URL: databaseUrl,
  DB_POOL_MAX: '1',
  LOG_LEVEL: 'info',
  METRICS: 'emf',
});

/**
 * Calls `onLine` with every line the child writes on fd 3, and when it arrived; `stderr()` is the
 * end of what it wrote on stderr, for the error when it fails.
 */
function readReports(
  child: ChildProcess,
  what: string,
  onLine: (line: string, at: number) => void,
): { stderr: () => string } {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const channel = child.stdio[3];
  if (!channel || !('on' in channel)) throw new Error(`${what}: no report channel`);
  let buffered = '';
  channel.on('data', (chunk: Buffer) => {
    const at = performance.now();
    buffered += chunk.toString('utf8');
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      onLine(line, at);
    }
  });
  return { stderr: () => stderr };
}

/** Resolves with the first line the child writes on fd 3 and when it arrived; rejects if it exits first. */
function firstReport(child: ChildProcess, what: string): Promise<{ line: string; at: number }> {
  return new Promise((resolve, reject) => {
    let reported = false;
    const { stderr } = readReports(child, what, (line, at) => {
      if (reported) return;
      reported = true;
      resolve({ line, at });
    });
    child.once('close', (code) => {
      if (!reported) reject(new Error(`${what} exited (${code}) without a report:\n${stderr()}`));
    });
    child.once('error', reject);
  });
}

export interface DriverRun {
  result: Extract<DriverResult, { ok: true }>;
  /** From just before spawn to the report's arrival. */
  spawnToReportMs: number;
}

/** Runs one lambda driver process with `plan`. */
export async function runDriver(
  driverFile: string,
  plan: DriverPlan,
  options: { env: NodeJS.ProcessEnv; planFile: string; nodeArgs?: string[] },
): Promise<DriverRun> {
  writeFileSync(options.planFile, JSON.stringify(plan));
  const spawned = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), driverFile, options.planFile], {
    env: options.env,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const { line, at } = await firstReport(child, `driver (${plan.mode}, ${path.basename(plan.bundle)})`);
  await exited;
  const result = JSON.parse(line) as DriverResult;
  if (!result.ok) throw new Error(`driver (${plan.mode}) failed: ${result.error}`);
  return { result, spawnToReportMs: at - spawned };
}

/** A driver in serve mode: warmed once, then measured turn by turn, alongside the other targets' drivers. */
export interface ServingDriver {
  turn(turn: Turn): Promise<LoadResult>;
  /** Ends stdin and waits for the process to leave. */
  close(): Promise<void>;
}

/**
 * Starts a lambda driver in serve mode and resolves once it has imported the bundle and run the
 * scenarios' warm-ups. Turns go one at a time: the next is sent after the previous result arrived.
 */
export async function startServingDriver(
  driverFile: string,
  plan: Extract<DriverPlan, { mode: 'serve' }>,
  options: { env: NodeJS.ProcessEnv; planFile: string },
): Promise<ServingDriver> {
  writeFileSync(options.planFile, JSON.stringify(plan));
  const child = spawn(process.execPath, [driverFile, options.planFile], {
    env: options.env,
    stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
  });
  const what = `driver (serve, ${path.basename(plan.bundle)})`;
  const exited = new Promise<string>((resolve) => {
    child.once('close', (code) => resolve(`exited (${code})`));
    child.once('error', (error) => resolve(`could not run: ${error.message}`));
  });
  const waiting: Array<{
    resolve: (result: Extract<DriverResult, { ok: true }>) => void;
    reject: (error: Error) => void;
  }> = [];
  const { stderr } = readReports(child, what, (line) => {
    const result = JSON.parse(line) as DriverResult;
    const next = waiting.shift();
    if (!next) return;
    if (result.ok) next.resolve(result);
    else next.reject(new Error(`${what} failed: ${result.error}`));
  });
  void exited.then((how) => {
    for (const next of waiting.splice(0)) next.reject(new Error(`${what} ${how}:\n${stderr()}`));
  });
  const nextResult = () =>
    new Promise<Extract<DriverResult, { ok: true }>>((resolve, reject) => waiting.push({ resolve, reject }));

  await nextResult();
  return {
    async turn(turn) {
      const result = nextResult();
      child.stdin?.write(`${JSON.stringify(turn)}\n`);
      const load = (await result).load?.[0];
      if (!load) throw new Error(`${what}: a turn reported no result`);
      return load;
    },
    async close() {
      child.stdin?.end();
      await exited;
    },
  };
}
