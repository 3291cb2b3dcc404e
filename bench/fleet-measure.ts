import { readFileSync, statSync } from 'node:fs';
import type { KubeObject } from '../src/api/object.js';
import type { Cluster } from '../src/cluster/cluster.js';
import { WatchManager } from '../src/cluster/watch.js';
import { rssKiB } from '../src/dev/daemon.js';
import type { Assignment } from '../src/fleet/assignment.js';
import { assignmentResource } from '../src/fleet/assignment.js';
import type { RequestTally } from './apiserver-requests.js';

/**
 * What bench:fleet reads while it runs: the hub's Assignments through one watch (a poll of
 * 500 objects every few ms would itself load the hub apiserver), and CPU seconds and RSS of
 * every process from /proc.
 */

/** Synced and Healthy at `sha`, as the agent reported it for the current spec. */
function syncedAt(a: Assignment, sha: string): boolean {
  const s = a.status;
  return (
    a.spec.revision === sha &&
    s?.observedGeneration === a.metadata.generation &&
    s?.sync?.status === 'Synced' &&
    s.sync.revision === sha &&
    s.health?.status === 'Healthy'
  );
}

interface Waiter {
  what: 'pinned' | 'synced';
  count: number;
  resolve: (at: number) => void;
}

/**
 * The Assignments of one FleetApplication, by namespace, from a hub watch. `target` sets the
 * commit; `when` resolves at the time of the event after which `count` of them are pinned to
 * it (or Synced and Healthy at it).
 */
export class AssignmentTracker {
  private readonly byNs = new Map<string, Assignment>();
  private readonly pinned = new Set<string>();
  private readonly synced = new Set<string>();
  private sha = '';
  private path = '';
  private waiters: Waiter[] = [];
  private readonly watch: WatchManager;

  constructor(
    hub: Cluster,
    private readonly name: string,
  ) {
    this.watch = new WatchManager(hub.http, {
      namespace: undefined,
      labelSelector: '',
      onEvent: (e) => {
        this.onEvent(e.type, e.object);
      },
      onError: (e) => {
        process.stdout.write(`  (Assignment watch: ${e.message})\n`);
      },
    });
  }

  async start(): Promise<void> {
    await this.watch.ensure({
      group: 'ballast.dev',
      version: 'v1alpha1',
      kind: assignmentResource.kind,
      resource: assignmentResource.plural,
      namespaced: true,
      verbs: ['get', 'list', 'watch'],
    });
  }

  /** From now on, counts Assignments of `path` (the template's) at `sha`. */
  target(sha: string, path: string): void {
    this.sha = sha;
    this.path = path;
    this.pinned.clear();
    this.synced.clear();
    for (const [ns, a] of this.byNs) this.classify(ns, a);
  }

  /** Resolves with performance.now() once `count` Assignments are pinned, or Synced and Healthy. */
  when(what: Waiter['what'], count: number, timeoutMs: number): Promise<number> {
    const have = what === 'pinned' ? this.pinned : this.synced;
    if (have.size >= count) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`not within ${timeoutMs} ms: ${count} ${what} (${this.describe()})`));
      }, timeoutMs);
      this.waiters.push({
        what,
        count,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  /** How far it got, with the status of one Assignment that is not there yet. */
  describe(): string {
    const lagging = [...this.byNs].find(([ns]) => !this.synced.has(ns));
    const status = lagging === undefined ? '' : JSON.stringify(lagging[1].status ?? {});
    return `${this.pinned.size} pinned, ${this.synced.size} synced of ${this.byNs.size}; e.g. ${lagging?.[0] ?? '-'}: ${status.slice(0, 600)}`;
  }

  stop(): Promise<void> {
    return this.watch.stop();
  }

  private onEvent(type: string, o: KubeObject): void {
    const ns = o.metadata.namespace ?? '';
    if (o.metadata.name !== this.name) return;
    if (type === 'DELETED') {
      this.byNs.delete(ns);
      this.pinned.delete(ns);
      this.synced.delete(ns);
      return;
    }
    this.byNs.set(ns, o as unknown as Assignment);
    this.classify(ns, o as unknown as Assignment);
    const now = performance.now();
    this.waiters = this.waiters.filter((w) => {
      const have = w.what === 'pinned' ? this.pinned : this.synced;
      if (have.size < w.count) return true;
      w.resolve(now);
      return false;
    });
  }

  private classify(ns: string, a: Assignment): void {
    // A changed template is not there until the Assignment says so: the old one is still synced.
    const current = a.spec.application.source.path === this.path;
    if (current && a.spec.revision === this.sha) this.pinned.add(ns);
    else this.pinned.delete(ns);
    if (current && syncedAt(a, this.sha)) this.synced.add(ns);
    else this.synced.delete(ns);
  }
}

/** CPU seconds of a process: its own (user + system) and its reaped children's. */
export interface Cpu {
  own: number;
  children: number;
}

export function cpuOf(pid: number): Cpu {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // Fields 14-17 of stat: utime, stime, cutime, cstime, in clock ticks (100 per second).
    const n = (i: number): number => Number(f[i]) / 100;
    return { own: n(11) + n(12), children: n(13) + n(14) };
  } catch {
    return { own: 0, children: 0 };
  }
}

/** The processes of one part of the system, e.g. the spoke apiservers. */
export interface Part {
  name: string;
  pids: number[];
}

export type CpuSnapshot = Map<string, Cpu>;

export function cpuSnapshot(parts: readonly Part[]): CpuSnapshot {
  const snap: CpuSnapshot = new Map();
  for (const p of parts) {
    const sum = { own: 0, children: 0 };
    for (const pid of p.pids) {
      const c = cpuOf(pid);
      sum.own += c.own;
      sum.children += c.children;
    }
    snap.set(p.name, sum);
  }
  return snap;
}

/** CPU seconds used by each part between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, Cpu> {
  const out = new Map<string, Cpu>();
  for (const [name, a] of after) {
    const b = before.get(name) ?? { own: 0, children: 0 };
    out.set(name, { own: a.own - b.own, children: a.children - b.children });
  }
  return out;
}

export const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

export const rss = (pid: number): number => rssKiB(pid) ?? 0;

/** Requests between two tallies, by `verb resource`, largest first. */
export function requestsBetween(before: RequestTally, after: RequestTally): [string, number][] {
  return [...after]
    .map(([k, n]) => [k, n - (before.get(k) ?? 0)] as [string, number])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
}

interface AuditLine {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

/** The hub's own writes in a window, from the hub apiserver's audit log (writes only). */
export interface HubWrites {
  /** Writes by who made them: `hub controller`, `agents`, `other`. */
  byWho: Record<string, number>;
  /** The hub controller's writes of Assignments (server-side apply). */
  assignments: number;
  /** Their apiserver latency (received → response), median, ms. */
  assignmentLatencyMs: number;
  /** Received time of the first to the last of them, ms. */
  assignmentSpanMs: number;
}

export const fileSize = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

const who = (user: string): string =>
  user.startsWith('ballast:cluster:')
    ? 'agents'
    : user.startsWith('system:')
      ? 'other'
      : 'hub controller';

/** Writes to the hub apiserver logged after `offset`; undefined if the log was rotated since. */
export function hubWritesSince(log: string, offset: number): HubWrites | undefined {
  if (fileSize(log) < offset) return undefined;
  const text = readFileSync(log).subarray(offset).toString('utf8');
  const byWho: Record<string, number> = {};
  const latencies: number[] = [];
  const received: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as AuditLine;
    const w = who(e.user.username);
    byWho[w] = (byWho[w] ?? 0) + 1;
    const r = e.objectRef;
    if (w !== 'hub controller' || r?.resource !== 'assignments' || r.subresource !== undefined)
      continue;
    const t = Date.parse(e.requestReceivedTimestamp);
    received.push(t);
    latencies.push(Date.parse(e.stageTimestamp) - t);
  }
  latencies.sort((a, b) => a - b);
  return {
    byWho,
    assignments: received.length,
    assignmentLatencyMs: latencies[Math.floor(latencies.length / 2)] ?? NaN,
    assignmentSpanMs: received.length === 0 ? 0 : Math.max(...received) - Math.min(...received),
  };
}

/** CPU seconds the whole machine has been busy (every process, this bench's or not). */
export function machineCpu(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal …: all but idle and iowait are busy.
  const [, user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100
  );
}
