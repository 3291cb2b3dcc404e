import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The parent pid and state letter from the text of `/proc/<pid>/stat`. */
export function parseStat(stat: string): { ppid: number; state: string } | undefined {
  // The command name (field 2) may hold spaces and parentheses; the fields after the last ')' don't.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  if (fields[0] === undefined || !Number.isInteger(ppid)) return undefined;
  return { ppid, state: fields[0] };
}

function readStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether the pid exists and has not exited (a zombie has exited; its parent has not reaped it). */
export function isAlive(pid: number): boolean {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s === undefined) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(entry));
    children.set(s.ppid, list);
  }
  return children;
}

/** Every live descendant of `pid` (children, grandchildren, …), from one scan of /proc. */
export function descendants(pid: number): number[] {
  const children = parentMap();
  const out: number[] = [];
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    for (const c of children.get(p) ?? []) {
      if (isAlive(c)) out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Kills a process and all its descendants, even those in other sessions (sshd puts each
 * connection in its own session, so a process-group kill misses them). The tree is frozen with
 * SIGSTOP first, top down, so nothing forks or gets re-parented to init between the scan and the
 * kill.
 */
export function killTree(pid: number | undefined): number[] {
  // Signalling pid 0 or -1 would hit our own process group or every process we may signal.
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return [];
  const frozen = new Set<number>([pid]);
  signal(pid, 'SIGSTOP');
  for (let round = 0; round < 50; round++) {
    const fresh = [...frozen].flatMap((p) => descendants(p)).filter((p) => !frozen.has(p));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      signal(p, 'SIGSTOP');
      frozen.add(p);
    }
  }
  for (const p of frozen) signal(p, 'SIGKILL');
  return [...frozen];
}

/**
 * Resolves once none of `pids` runs any more. A SIGKILLed process still runs until the kernel has
 * torn it down, and only its direct parent's exit event says so; its descendants, re-parented to
 * init, give no sign but /proc.
 */
export async function untilGone(pids: readonly number[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some((p) => isAlive(p))) {
    if (Date.now() > deadline) {
      const left = pids.filter((p) => isAlive(p)).join(', ');
      throw new Error(`processes ${left} still run ${timeoutMs} ms after SIGKILL`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Resolves when the child has exited, at once when it already has or never started. Unlike
 * events.once it never rejects, so it can be created early and awaited much later.
 */
export function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => {
      resolve();
    });
    child.once('error', () => {
      resolve();
    });
  });
}
