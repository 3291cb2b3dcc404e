import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { toolsOnPath } from './paths.js';

/** A long-running process that `ballast dev` started and must stop again. */
export interface DaemonRecord {
  /** Short role name, e.g. `kube-apiserver`. */
  role: string;
  pid: number;
  /** The executable, used to make sure a pid was not reused by an unrelated process. */
  binary: string;
  log: string;
}

/**
 * Starts a process in its own process group, detached from the caller, with stdout and stderr
 * appended to `log`. The caller may exit; `stopDaemon` ends the whole group later. Its PATH has
 * the built tools first, so a controller started this way renders with the pinned helm and
 * kustomize.
 */
export function startDaemon(
  role: string,
  binary: string,
  args: readonly string[],
  log: string,
  env: Readonly<Record<string, string>> = {},
): DaemonRecord {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { PATH: toolsOnPath(process.env.PATH), HOME: process.env.HOME ?? '/', ...env },
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`${role}: could not start ${binary}`);
    return { role, pid: child.pid, binary, log };
  } finally {
    closeSync(fd);
  }
}

/** Whether the pid is alive and still runs the binary we started (pids get reused). */
export function isRunning(d: DaemonRecord): boolean {
  try {
    const cmdline = readFileSync(`/proc/${d.pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${d.pid}/stat`, 'utf8');
    // A zombie has exited; only its parent has not reaped it yet.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && cmdline.split('\0')[0] === d.binary;
  } catch {
    return false;
  }
}

/** Resident set size in KiB, read from /proc, or undefined when the process is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Stops the daemon's process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopDaemon(d: DaemonRecord, graceMs = 10_000): Promise<void> {
  if (!isRunning(d)) return;
  signalGroup(d.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(d)) return;
    await sleep(50);
  }
  signalGroup(d.pid, 'SIGKILL');
  while (isRunning(d)) await sleep(20);
}

/** The last lines of a daemon's log, for error messages. */
export async function logTail(d: DaemonRecord, lines = 15): Promise<string> {
  try {
    const text = await readFile(d.log, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
