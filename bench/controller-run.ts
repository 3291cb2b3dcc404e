import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { controllerNodeEnv } from '../src/cli/install.js';
import { startDaemon, type DaemonRecord } from '../src/dev/daemon.js';
import { repoRoot } from '../src/dev/paths.js';

/** How a benchmark starts `ballast controller`, beyond what every bench passes. */
export interface BenchController {
  /** A kubeconfig signed in as the controller's ServiceAccount (see controllerKubeconfig). */
  kubeconfig: string;
  /** The namespace whose Applications it reconciles. */
  namespace: string;
  /** Its HTTP port (metrics, webhooks), bound to loopback. */
  port: number;
  /** Where its log, cache and SQLite ledger go. */
  state: string;
  logLevel: string;
  /** More `controller` flags (`--workers 16`, `--webhook-secret-file …`). */
  args?: readonly string[];
  /** Node flags before the script (`--cpu-prof`). */
  nodeArgs?: readonly string[];
}

/**
 * Starts the built CLI's `ballast controller` in a child process with the Node settings of the
 * Deployment `ballast install` renders (`controllerNodeEnv`), so its memory is the product's.
 * The ledger is part of the work measured, kept with the run's state, not the user's.
 */
export function startBenchController(o: BenchController): DaemonRecord {
  const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const args = [
    ...(o.nodeArgs ?? []),
    main,
    'controller',
    ...['--kubeconfig', o.kubeconfig, '-n', o.namespace],
    ...['--port', String(o.port), '--bind-address', '127.0.0.1', '--log-level', o.logLevel],
    ...['--cache-dir', join(o.state, 'cache'), '--ledger', `sqlite:${join(o.state, 'audit.db')}`],
    ...(o.args ?? []),
  ];
  return startDaemon(
    'ballast-controller',
    process.execPath,
    args,
    join(o.state, 'controller.log'),
    controllerNodeEnv,
  );
}

/** Peak (VmHWM) and current (VmRSS) resident memory of a process, in MiB. */
export function memory(pid: number): {
  peakMiB: number;
  rssMiB: number;
  anonMiB: number;
  fileMiB: number;
} {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return {
    peakMiB: kib('VmHWM') / 1024,
    rssMiB: kib('VmRSS') / 1024,
    // File-backed pages are mostly the node binary's code, shared with every node process.
    anonMiB: kib('RssAnon') / 1024,
    fileMiB: kib('RssFile') / 1024,
  };
}

/** The file descriptors a process holds open now. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * The process's established TCP connections to `port` (the apiserver's): its socket fds matched
 * by inode against the kernel's tables, since /proc/<pid>/net/tcp lists the whole network
 * namespace, not the process.
 */
export function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSafe(`/proc/${pid}/fd/${fd}`));
    if (m?.[1] !== undefined) inodes.add(m[1]);
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const table of ['tcp', 'tcp6']) {
    const rows = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1);
    for (const row of rows) {
      const f = row.trim().split(/\s+/);
      // local_address rem_address st … inode: state 01 is ESTABLISHED.
      if (f[2]?.endsWith(`:${hexPort}`) && f[3] === '01' && inodes.has(f[9] ?? '')) n++;
    }
  }
  return n;
}

/** A link's target, or '' for an fd closed between the listing and the read. */
function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
