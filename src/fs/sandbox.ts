import { readFileSync } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { removeTree } from './remove.js';

/**
 * Scratch space that survives no crash. Every process keeps its render sandboxes and decrypted
 * copies under one directory of its own, `<parent>/ballast-<pid>-<start>`, where `<start>` is
 * the process's start time from /proc/<pid>/stat. A sweep can then tell a live owner from a
 * dead one, and from a new process that happens to have been given the same pid.
 */

const ownedName = /^ballast-(\d+)-(\d+)$/;
/** Directories of versions that did not keep a directory per process; they name no owner. */
const legacyName = /^ballast-(?:sops|render)-/;

export interface SweepOptions {
  /** The parent directories to sweep, such as the temp directory and the plaintext tmpfs. */
  roots: string[];
  /**
   * A legacy directory (`ballast-sops-*`, `ballast-render-*`) names no owner, so it is removed
   * only once it has been left alone for this long: longer than any render may last.
   */
  legacyAfterMs: number;
  /** How often the timer started by `startSandboxSweeper` sweeps again. */
  intervalMs: number;
}

export function defaultSweepOptions(roots: string[]): SweepOptions {
  return { roots, legacyAfterMs: 60 * 60_000, intervalMs: 10 * 60_000 };
}

/** A process's start time in clock ticks since boot, or undefined when it no longer exists. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after its last `)` do not.
    // starttime is field 22; the first field after the name is field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const ownStart = processStartTime(process.pid) ?? '0';
const created = new Map<string, Promise<string>>();

/**
 * This process's own directory under `parent` (mode 0700), made on first use. The first use of
 * each parent also sweeps the stale directories there, so a process restarted after a crash
 * clears what its predecessor left even before the timer's first round.
 */
export function processScratchDir(parent: string): Promise<string> {
  let dir = created.get(parent);
  if (dir === undefined) {
    const path = join(parent, `ballast-${process.pid}-${ownStart}`);
    dir = mkdir(path, { recursive: true, mode: 0o700 }).then(() => path);
    created.set(parent, dir);
    dir.catch(() => created.delete(parent));
    void sweepStaleSandboxes(defaultSweepOptions([parent])).catch(() => undefined);
  }
  return dir;
}

function threadPart(id: number): string {
  return `thread-${id}`;
}

/**
 * This thread's directory inside the process's own: a render worker that is ended mid-render
 * (out of memory, over its time) leaves its sandboxes there, and whoever ended it removes them
 * with `removeThreadScratch`, since the process, still alive, would never be swept.
 */
export async function threadScratchDir(parent: string): Promise<string> {
  const dir = join(await processScratchDir(parent), threadPart(threadId));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Removes what the thread `id` left under `parent`; for a worker that has been ended. */
export async function removeThreadScratch(parent: string, id: number): Promise<void> {
  await removeTree(join(await processScratchDir(parent), threadPart(id)));
}

/** Whether the directory `name` belongs to a process that is gone (or to a legacy version). */
function isStale(name: string, mtimeMs: number, options: SweepOptions): boolean {
  const owned = ownedName.exec(name);
  if (owned !== null) {
    const [, pid, start] = owned;
    return processStartTime(Number(pid)) !== start;
  }
  return legacyName.test(name) && Date.now() - mtimeMs > options.legacyAfterMs;
}

/**
 * Removes every stale scratch directory under the roots and returns their paths. Only
 * directories this user owns are considered (another user's cannot be removed anyway), and
 * nothing is followed through a symlink.
 */
export async function sweepStaleSandboxes(options: SweepOptions): Promise<string[]> {
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const root of options.roots) {
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith('ballast-')) continue;
      const path = join(root, name);
      try {
        const info = await lstat(path);
        if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
        if (!isStale(name, info.mtimeMs, options)) continue;
        await removeTree(path);
        removed.push(path);
      } catch {
        // Gone already, or removed by a concurrent sweep.
      }
    }
  }
  return removed;
}

export interface SandboxSweeper {
  /** The first sweep, made at once. */
  first: Promise<string[]>;
  stop(): void;
}

/**
 * Sweeps now and then every `intervalMs`. The timer never keeps the process alive, and a sweep
 * that fails is tried again on the next round.
 */
export function startSandboxSweeper(options: SweepOptions): SandboxSweeper {
  const sweep = (): Promise<string[]> => sweepStaleSandboxes(options).catch(() => []);
  const timer = setInterval(() => void sweep(), options.intervalMs);
  timer.unref();
  return {
    first: sweep(),
    stop: () => {
      clearInterval(timer);
    },
  };
}
