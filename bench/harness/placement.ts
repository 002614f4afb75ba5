/**
 * Where the bench's processes run. On Lambda the function and the database are different
 * machines; here they share the cores, and the scheduler would decide per run whether a driver and
 * its PostgreSQL backend share a core (every round trip a context switch) or not (a cross-core
 * wake-up), which costs the driver differently. With two cores or more, an embedded server is
 * pinned to the last core and the bench with its drivers (they inherit it) to the others: every
 * target gets the same placement, the one closest to the deployed one. `taskset` (util-linux) does
 * the pinning; without it, or on one core, nothing moves and the report says so.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type pg from 'pg';

const cpuCount = os.cpus().length;

/** The parent of `pid`, from /proc (field 4 of its stat line, after the command's parentheses). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpus, String(pid)], { stdio: 'ignore' });
}

function tasksetWorks(): boolean {
  try {
    execFileSync('taskset', ['--pid', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Pins an embedded PostgreSQL (its postmaster and every process it has started; backends forked
 * later inherit the postmaster's core) and this process. Returns what was done, for the report.
 */
export async function placeProcesses(embeddedServer: pg.Client | undefined): Promise<string> {
  if (process.platform !== 'linux' || cpuCount < 2 || !tasksetWorks()) {
    return 'not pinned (needs Linux, two cores and taskset): the scheduler places the processes';
  }
  const last = cpuCount - 1;
  const others = cpuCount === 2 ? '0' : `0-${last - 1}`;
  if (embeddedServer) {
    const { rows } = await embeddedServer.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
    const first = rows[0];
    if (!first) throw new Error('pg_stat_activity lists no process');
    for (const pid of [parentOf(first.pid), ...rows.map((row) => row.pid)]) pin(pid, String(last));
  }
  pin(process.pid, others);
  return embeddedServer
    ? `PostgreSQL pinned to CPU ${last}, the bench and its lambda drivers to CPU ${others} (taskset), as function and database are separate machines when deployed`
    : `the bench and its lambda drivers pinned to CPU ${others} (taskset); the server is DATABASE_URL's`;
}
