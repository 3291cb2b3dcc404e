import type { GitCounts } from './fleet-git.js';
import { mib, rss, type Cpu, type HubWrites } from './fleet-measure.js';
import type { FleetBench } from './fleet-world.js';
import { percentile } from './timing.js';

/** What one commit (or an idle stretch) cost, from the end of its push. */
export interface Window {
  /** To the first Assignment pinned: the hub's webhook, fetch and resolve. */
  firstPinnedMs: number;
  /** To every Assignment pinned to the commit's SHA. */
  pinnedMs: number;
  /** To every Assignment Synced and Healthy at it; the CPU window ends here. */
  syncedMs: number;
  cpu: Map<string, Cpu>;
  /** Hub apiserver requests, by `verb resource`. */
  requests: [string, number][];
  git: GitCounts;
  /** From the hub apiserver's audit log; undefined when it rotated in the window. */
  hubWrites: HubWrites | undefined;
  /** CPU seconds of the whole machine: with the total, how much other work shared the cores. */
  machine: number;
}

const write = (line: string): void => {
  process.stdout.write(`  ${line}\n`);
};

const ms = (xs: readonly number[]): string =>
  `median ${percentile(xs, 50).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

const median = (xs: readonly number[]): number => percentile(xs, 50);
const total = (c: Cpu | undefined): number => (c === undefined ? 0 : c.own + c.children);
const cpuOf = (w: Window, part: string): number => total(w.cpu.get(part));

export function printLayout(b: FleetBench, startSeconds: number): void {
  const { layout } = b;
  const sizes = b.hosts.map((h) => h.agents);
  write(
    `layout: hub = cluster-1 (its own kube-apiserver, \`ballast hub\` as a process); ${b.spokes.length} spoke kube-apiservers (${b.spokes.map((s) => s.devCluster).join(', ')}), all on one etcd with their own prefixes, each with kcm, scheduler and kwok`,
  );
  write(
    `        ${layout.clusters} clusters = ${layout.clusters} agents in namespace mode, each confined to its own namespace (bench-0000 …) by a Role there, ${b.spokes.map((s) => s.clusters.length).join(' / ')} namespaces per spoke`,
  );
  write(
    `        agents in ${b.hosts.length} Node processes of ${sizes.join(', ')} agents (own hub identity, Git cache, ledger, watches and Controller each), plus 1 idle host process with none`,
  );
  write(
    `        Git server: git http-backend behind node:http in its own process; commits signed (GPG), verified by every agent (mode head)`,
  );
  write(`        set up in ${startSeconds.toFixed(0)} s`);
}

function cpuLines(windows: readonly Window[], n: number): string[] {
  const parts = [...(windows[0]?.cpu.keys() ?? [])];
  const lines = parts.map((p) => {
    const xs = windows.map((w) => cpuOf(w, p));
    const children = median(windows.map((w) => w.cpu.get(p)?.children ?? 0));
    const kids = children >= 0.05 ? ` (of which child processes ${children.toFixed(2)})` : '';
    return `      ${p.padEnd(24)} ${median(xs).toFixed(2).padStart(7)} CPU-s, ${((median(xs) / n) * 1000).toFixed(1).padStart(6)} ms per cluster${kids}`;
  });
  const sums = windows.map((w) => [...w.cpu.values()].reduce((s, c) => s + total(c), 0));
  const wall = median(windows.map((w) => w.syncedMs)) / 1000;
  lines.push(
    `      ${'total'.padEnd(24)} ${median(sums).toFixed(2).padStart(7)} CPU-s over a median window of ${wall.toFixed(1)} s = ${(median(sums) / wall).toFixed(2)} cores`,
  );
  const machine = median(windows.map((w) => w.machine));
  lines.push(
    `      ${'whole machine'.padEnd(24)} ${machine.toFixed(2).padStart(7)} CPU-s (this bench and whatever else ran: ${(machine - median(sums)).toFixed(2)} CPU-s not the bench's)`,
  );
  return lines;
}

function requestLines(windows: readonly Window[], n: number): string[] {
  const sum = new Map<string, number>();
  for (const w of windows) for (const [k, v] of w.requests) sum.set(k, (sum.get(k) ?? 0) + v);
  const per = [...sum]
    .map(([k, v]) => [k, v / windows.length] as const)
    .sort((a, b) => b[1] - a[1]);
  const all = per.reduce((s, [, v]) => s + v, 0);
  return [
    `    hub apiserver requests per commit: ${all.toFixed(0)} (${(all / n).toFixed(1)} per cluster)`,
    ...per.slice(0, 8).map(([k, v]) => `      ${v.toFixed(0).padStart(7)}  ${k}`),
  ];
}

function gitLine(windows: readonly Window[], n: number): string {
  const sum: GitCounts = {};
  for (const w of windows) for (const [k, v] of Object.entries(w.git)) sum[k] = (sum[k] ?? 0) + v;
  const all = Object.values(sum).reduce((s, v) => s + v, 0) / windows.length;
  const kinds = Object.entries(sum)
    .map(([k, v]) => `${(v / windows.length).toFixed(0)} ${k}`)
    .join(', ');
  return `    Git server requests per commit: ${all.toFixed(0)} (${(all / n).toFixed(2)} per cluster): ${kinds}`;
}

/** Per-cluster cost and the walls: hub side, agent side, spoke apiservers against 2 cores. */
function verdictLines(windows: readonly Window[], n: number): string[] {
  const m = (p: string): number => median(windows.map((w) => cpuOf(w, p)));
  const hub = m('hub apiserver') + m('hub controller');
  const agents = m('agent processes');
  const spokes = m('spoke apiservers');
  const git =
    m('Git server') + median(windows.map((w) => w.cpu.get('agent processes')?.children ?? 0));
  const sums = median(windows.map((w) => [...w.cpu.values()].reduce((s, c) => s + total(c), 0)));
  return [
    `    hub side per cluster (hub apiserver + hub controller): ${((hub / n) * 1000).toFixed(1)} ms CPU per commit; etcd, shared with the spokes, adds ${((m('etcd (hub and spokes)') / n) * 1000).toFixed(1)}`,
    `    agent side per cluster: agent ${((agents / n) * 1000).toFixed(1)} ms + its spoke apiserver ${((spokes / n) * 1000).toFixed(1)} ms CPU per commit`,
    `    Git (server, plus the agents' git child processes): ${git.toFixed(2)} CPU-s per commit, ${((git / sums) * 100).toFixed(0)}% of all CPU in the window`,
    spokes > 60
      ? `    the spoke apiservers alone used ${spokes.toFixed(1)} CPU-s per commit: more than 2 cores can give in 30 s (60 CPU-s), so on this machine the 30 s goal is out of reach whatever the fleet does`
      : `    the spoke apiservers used ${spokes.toFixed(1)} CPU-s per commit, within what 2 cores give in 30 s (60 CPU-s)`,
  ];
}

/** A fleet phase's figures, against the same commits to one cluster. */
export function printPhase(
  what: string,
  fleet: readonly Window[],
  base: readonly Window[],
  n: number,
  strategy = 'strategy all (every cluster at once)',
): void {
  const pin = fleet.map((w) => w.pinnedMs);
  const sync = fleet.map((w) => w.syncedMs);
  const bpin = base.map((w) => w.pinnedMs);
  const bsync = base.map((w) => w.syncedMs);
  const ratio = (a: number[], b: number[], p: number): string =>
    (percentile(a, p) / percentile(b, p)).toFixed(1);
  write('');
  write(`${what}, ${n} clusters, ${strategy}, ${fleet.length} commits, webhook:`);
  write(`  push → all ${n} Assignments pinned to the new SHA: ${ms(pin)} (goal < 3 s)`);
  const first = fleet.map((w) => w.firstPinnedMs);
  const writes = fleet.map((w) => w.pinnedMs - w.firstPinnedMs);
  write(
    `    of which push → the first pinned (webhook, hub fetch, resolve): ${ms(first)}; first → last pinned (the hub writing ${n} Assignments): ${ms(writes)} = ${(percentile(writes, 50) / Math.max(1, n - 1)).toFixed(1)} ms per Assignment`,
  );
  write(`  push → all ${n} Synced and Healthy: ${ms(sync)} (goal < 30 s)`);
  write(
    `  baseline, the same commits placed on 1 of these clusters: pinned ${ms(bpin)}; Synced and Healthy ${ms(bsync)}`,
  );
  write(
    `  fleet/baseline: pinned median ${ratio(pin, bpin, 50)}, p95 ${ratio(pin, bpin, 95)}; Synced and Healthy median ${ratio(sync, bsync, 50)}, p95 ${ratio(sync, bsync, 95)}`,
  );
  write(`  CPU seconds per commit, push → all Synced and Healthy (median of ${fleet.length}):`);
  for (const l of cpuLines(fleet, n)) write(l);
  write(`  baseline (1 cluster) CPU seconds per commit:`);
  for (const l of cpuLines(base, 1)) write(l);
  for (const l of verdictLines(fleet, n)) write(l);
  for (const l of requestLines(fleet, n)) write(l);
  for (const l of hubWriteLines(fleet)) write(l);
  write(gitLine(fleet, n));
  write(requestLines(base, 1)[0]?.trim().replace(/^/, '  baseline ') ?? '');
  write(gitLine(base, 1).trim().replace(/^/, '  baseline '));
}

/** Where the hub's time to pin every Assignment goes: its writes, one by one, as the apiserver saw them. */
function hubWriteLines(windows: readonly Window[]): string[] {
  const ws = windows.flatMap((w) => (w.hubWrites === undefined ? [] : [w.hubWrites]));
  if (ws.length === 0)
    return ['    (the hub audit log rotated in every window: no write breakdown)'];
  const m = (f: (h: HubWrites) => number): number => median(ws.map(f));
  const n = m((h) => h.assignments);
  const span = m((h) => h.assignmentSpanMs);
  const latency = m((h) => h.assignmentLatencyMs);
  const byWho = ['hub controller', 'agents', 'other']
    .map((k) => `${m((h) => h.byWho[k] ?? 0).toFixed(0)} by ${k}`)
    .join(', ');
  return [
    `    hub apiserver writes per commit (audit log): ${byWho}`,
    `    the hub's Assignment writes: ${n.toFixed(0)}, received over ${span.toFixed(0)} ms (${(span / Math.max(1, n - 1)).toFixed(1)} ms apart), each taking the apiserver ${latency.toFixed(1)} ms (median): the rest of each step is the hub's own`,
  ];
}

/** The fleet with nothing to do: what heartbeats, watches and polls cost. */
export function printIdle(w: Window, n: number): void {
  const secs = w.syncedMs / 1000;
  const cores = [...w.cpu].map(([p, c]) => `${p} ${(total(c) / secs).toFixed(3)}`).join(', ');
  const reqs = w.requests.reduce((s, [, v]) => s + v, 0);
  write(
    `idle, ${n} clusters, ${secs.toFixed(0)} s: cores used: ${cores}; whole machine ${(w.machine / secs).toFixed(2)}`,
  );
  write(
    `  hub apiserver requests per second at idle: ${(reqs / secs).toFixed(1)} (${((reqs / secs / n) * 60).toFixed(2)} per cluster per minute): ${w.requests
      .slice(0, 5)
      .map(([k, v]) => `${(v / secs).toFixed(1)}/s ${k}`)
      .join(', ')}`,
  );
}

export function printRss(b: FleetBench): void {
  const [hub] = b.state.clusters;
  const hubPid = hub?.daemons.find((d) => d.role === 'ballast-hub')?.pid ?? 0;
  const apiserver = (i: number): number =>
    rss(b.state.clusters[i]?.daemons.find((d) => d.role === 'kube-apiserver')?.pid ?? 0);
  const idle = rss(b.idleHost.pid);
  const hosts = b.hosts.map((h) => ({ kib: rss(h.pid), n: h.agents }));
  const per = hosts.map((h) => h.kib / h.n);
  const marginal = hosts.map((h) => (h.kib - idle) / h.n);
  write(
    `  RSS: hub controller ${mib(rss(hubPid))}; hub apiserver ${mib(apiserver(0))}; spoke apiservers ${b.spokes.map((_, i) => mib(apiserver(i + 1))).join(', ')}; etcd ${mib(rss(b.state.etcd.daemon.pid))}`,
  );
  write(
    `  agent RSS: processes ${hosts.map((h) => `${mib(h.kib)} / ${h.n}`).join(', ')} = ${per.map((k) => (k / 1024).toFixed(1)).join(', ')} MiB per agent; idle host (no agent) ${mib(idle)}, so ${marginal.map((k) => (k / 1024).toFixed(1)).join(', ')} MiB per agent above it`,
  );
}
