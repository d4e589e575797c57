/**
 * Processes the stage starts and stops by pid file. Each runs detached (its own session), writes
 * to `<dir>/logs/<name>.log`, and is remembered in `<dir>/pids/<name>.pid` as `<pid> <start time>`:
 * the kernel's start time of the process, so a pid the kernel has since given to another process
 * is never signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DaemonSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export const pidFile = (dir: string, name: string) => join(dir, 'pids', `${name}.pid`);
export const logFile = (dir: string, name: string) => join(dir, 'logs', `${name}.log`);

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or null when it is gone. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return null;
    return fields[19];
  } catch {
    return null;
  }
}

/** The pid of the stage's `name` while that very process runs, else null (a stale pid file is removed). */
export function runningPid(dir: string, name: string): number | null {
  const file = pidFile(dir, name);
  if (!existsSync(file)) return null;
  const [pid, started] = readFileSync(file, 'utf8').trim().split(' ');
  if (startTime(Number(pid)) === started) return Number(pid);
  rmSync(file, { force: true });
  return null;
}

/** Starts `spec` detached, appending to its log; returns its pid. Refuses when it already runs. */
export function startDaemon(dir: string, spec: DaemonSpec): number {
  if (runningPid(dir, spec.name) !== null) throw new Error(`${spec.name} already runs (${pidFile(dir, spec.name)})`);
  mkdirSync(join(dir, 'pids'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const log = openSync(logFile(dir, spec.name), 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { PATH: process.env.PATH ?? '', ...spec.env },
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) throw new Error(`${spec.name}: ${spec.command} could not be started`);
    child.unref();
    const started = startTime(child.pid);
    if (started === null) throw new Error(`${spec.name} exited at once; see ${logFile(dir, spec.name)}`);
    writeFileSync(pidFile(dir, spec.name), `${child.pid} ${started}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Sends `signal` to the stage's `name` if it runs; true when it did. */
export function signalDaemon(dir: string, name: string, signal: NodeJS.Signals): boolean {
  const pid = runningPid(dir, name);
  if (pid === null) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `name` has exited (its pid file is then removed). */
export async function waitExited(dir: string, name: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (runningPid(dir, name) !== null) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Stops `name`: `signal` (SIGTERM by default), then SIGKILL after `graceMs`. Resolves once it is
 * gone; a daemon that is not running is fine (stopping twice is a no-op).
 */
export async function stopDaemon(dir: string, name: string, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!signalDaemon(dir, name, signal)) return;
  if (await waitExited(dir, name, graceMs)) return;
  signalDaemon(dir, name, 'SIGKILL');
  await waitExited(dir, name, 5_000);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it is true; throws with `what` and the hint after `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, hint = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${hint() ? `\n${hint()}` : ''}`);
    await sleep(100);
  }
}

/** The last lines of a daemon's log, for error messages. */
export function logTail(dir: string, name: string, lines = 15): string {
  try {
    return `${logFile(dir, name)}:\n${readFileSync(logFile(dir, name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`;
  } catch {
    return `${logFile(dir, name)}: (none)`;
  }
}
