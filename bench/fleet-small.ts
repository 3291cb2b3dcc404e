import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditLogPath } from '../src/dev/cluster.js';
import { rssKiB } from '../src/dev/daemon.js';
import { notifyHub } from '../src/dev/fleet.js';
import { kubeRequest } from '../src/dev/kube.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { stopApiserver } from '../test/support/apiserver.js';
import { FleetWorld } from '../test/support/fleet-world.js';
import { kubeFor } from '../test/support/kube.js';
import { startBaseline, type Baseline } from './fleet-baseline.js';
import { percentile, sleep, until } from './timing.js';

/** As `until`, polling every 25 ms: four reads of the hub per poll must not load it much. */
async function settled(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(25);
  }
}

const spokes = Number(process.env.BALLAST_BENCH_SPOKES ?? '4');
const commits = Number(process.env.BALLAST_BENCH_COMMITS ?? '20');
const idleMs = Number(process.env.BALLAST_BENCH_IDLE_MS ?? '120000');

/**
 * Every request at Metadata level, reads and Leases included (`ballast dev` logs only writes,
 * and no Leases): the agents' requests are then counted by their user in the audit log.
 */
const fullAuditPolicy = JSON.stringify({
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [{ level: 'Metadata' }],
});

const manifest = (n: number): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: bench
data:
  commit: "${n}"
  cluster: \${cluster_name}
  region: \${cluster_label_region}
`;

interface AuditEvent {
  auditID: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string };
}

/** The agents' requests in the audit log after `offset`, by auditID (a watch logs two stages). */
async function agentRequests(log: string, offset: number): Promise<Map<string, AuditEvent>> {
  const text = (await readFile(log)).subarray(offset).toString('utf8');
  const seen = new Map<string, AuditEvent>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.user.username.startsWith('ballast:cluster:')) seen.set(e.auditID, e);
  }
  return seen;
}

function byKind(events: Iterable<AuditEvent>, agents: number, minutes: number): string[] {
  const tally = new Map<string, number>();
  for (const e of events) {
    const r = e.objectRef;
    const what = `${e.verb} ${r?.resource ?? ''}${r?.subresource === undefined ? '' : `/${r.subresource}`}`;
    tally.set(what, (tally.get(what) ?? 0) + 1);
  }
  return [...tally]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `    ${(n / agents / minutes).toFixed(2).padStart(7)}  ${k}`);
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

/** Samples the agents' RSS every `everyMs` until stopped; the samples per agent. */
function sampleRss(pids: readonly number[], everyMs: number): { stop(): number[][] } {
  const samples: number[][] = pids.map(() => []);
  const timer = setInterval(() => {
    pids.forEach((pid, i) => {
      const kib = rssKiB(pid);
      if (kib !== undefined) samples[i]?.push(kib);
    });
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}

/** The agents' RSS line, then the baseline controller's (its samples are the last). */
function rssLines(label: string, samples: number[][]): string {
  const agents = samples.slice(0, -1);
  const controller = samples.at(-1) ?? [];
  const all = agents.flat();
  const maxEach = agents.map((s) => Math.max(...s));
  return (
    `  agent RSS ${label}: median ${mib(percentile(all, 50))}, max ${mib(Math.max(...maxEach))} (per agent max: ${maxEach.map(mib).join(', ')})\n` +
    `  baseline controller RSS ${label}: median ${mib(percentile(controller, 50))}, max ${mib(Math.max(...controller))}\n`
  );
}

/** One system measured: how a commit is pushed to it and told, and when it has applied it. */
interface Leg {
  what: string;
  push(): Promise<void>;
  notify(): Promise<void>;
  syncedAt(sha: string): Promise<boolean>;
  took: number[];
}

const timings = (xs: readonly number[]): string =>
  `median ${percentile(xs, 50).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

/**
 * Each commit goes to both legs, one after the other, the order alternating, each timed from
 * the end of its push: neither pays for the other's sync, and both see the same commits.
 */
async function pushAll(w: FleetWorld, legs: readonly [Leg, Leg]): Promise<void> {
  for (let i = 1; i <= commits; i++) {
    await w.repo.writeFile('bench/cm.yaml', manifest(i));
    const sha = await w.repo.commit(`bench ${i}`, { signer: w.gpg });
    for (const leg of i % 2 === 1 ? legs : [...legs].reverse()) {
      await leg.push();
      const pushed = performance.now();
      await leg.notify();
      await settled(`commit ${i}: ${leg.what}`, () => leg.syncedAt(sha), 120_000);
      leg.took.push(performance.now() - pushed);
    }
  }
}

/** The hub apiserver restarted with the full audit policy; resolves once it is ready. */
async function auditEverything(w: FleetWorld): Promise<string> {
  const dir = join(w.state, 'cluster-1');
  const policy = join(dir, 'audit-policy-full.json');
  await writeFile(policy, fullAuditPolicy);
  const down = await stopApiserver(w.state, 'cluster-1');
  await down.start([`--audit-policy-file=${policy}`]);
  const kube = await kubeFor(w.fleet.hub.kubeconfig);
  await until(
    'the hub apiserver is ready',
    async () => (await kubeRequest(kube.ep, 'GET', '/readyz')).status === 200,
    90_000,
  );
  return auditLogPath(dir);
}

/** Hub requests per agent per minute and RSS over `idleMs` with nothing to do. */
async function measureIdle(w: FleetWorld, names: readonly string[], pids: number[]): Promise<void> {
  const log = await auditEverything(w);
  // Agents back off from the restart (up to 30 s) and reconnect; then the fleet is idle.
  await until(
    'every Cluster is Ready again',
    async () => {
      const cs = await Promise.all(names.map((n) => w.clusterOf(n)));
      return cs.every((c) => c?.status?.conditions?.[0]?.status === 'True');
    },
    120_000,
  );
  await sleep(35_000);
  const offset = (await stat(log)).size;
  const idleRss = sampleRss(pids, 1_000);
  const idleStart = performance.now();
  await sleep(idleMs);
  const minutes = (performance.now() - idleStart) / 60_000;
  const idle = await agentRequests(log, offset);
  process.stdout.write(
    `  hub apiserver requests per agent per minute at idle (${minutes.toFixed(1)} min, heartbeat 60 s): ${(idle.size / spokes / minutes).toFixed(1)}\n`,
  );
  process.stdout.write(byKind(idle.values(), spokes, minutes).join('\n') + '\n');
  process.stdout.write(rssLines('idle', idleRss.stop()));
}

/**
 * A hub and `spokes` spokes from `ballast dev fleet`, agents as processes verifying signed
 * commits: agent RSS and hub requests per agent per minute at idle, then push → every
 * Assignment Synced and Healthy over `commits` commits, each announced by the push webhook.
 * Baseline, in the same run: a plain `ballast controller` on the first spoke with one
 * Application of the same app, verifying the same way, told by its own push webhook.
 */
export async function benchFleetSmall(): Promise<void> {
  await ensureTools(controlPlaneTools, (l) => process.stdout.write(l + '\n'));
  const t0 = performance.now();
  const w = await FleetWorld.start(spokes, 60_000);
  process.stdout.write(
    `  ${spokes} spokes registered and Ready in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  let baseline: Baseline | undefined;
  try {
    const names = w.fleet.spokes.map((s) => s.name);
    const pids = await Promise.all(
      w.fleet.spokes.map(async (s) => (await w.daemon(s.devCluster, 'ballast-agent')).pid),
    );
    const sha = await w.commit({ 'bench/cm.yaml': manifest(0) }, 'bench 0');
    await w.fleetApp('bench', 'bench', { clusterNames: names });
    const spoke = w.fleet.spokes[0];
    if (spoke === undefined) throw new Error('BALLAST_BENCH_SPOKES must be at least 1');
    baseline = await startBaseline(w, spoke, 'bench', sha);
    const b = baseline;
    const allSynced = async (at: string): Promise<boolean> =>
      (await Promise.all(names.map((n) => w.syncedAt(n, 'bench', at)))).every(Boolean);
    await until('the first commit is Synced everywhere', () => allSynced(sha), 180_000);
    await until('the baseline has the first commit', () => b.syncedAt(sha), 60_000);
    pids.push(b.pid);
    await measureIdle(w, names, pids);

    const fleet: Leg = {
      what: 'every Assignment Synced and Healthy',
      push: () => w.repo.push(),
      notify: () => notifyHub(w.fleet.hub.webhook, w.repoURL),
      syncedAt: allSynced,
      took: [],
    };
    const base: Leg = { ...b, what: 'the baseline Application Synced and Healthy', took: [] };
    const syncing = sampleRss(pids, 100);
    await pushAll(w, [fleet, base]);
    process.stdout.write(
      `  push → every Assignment Synced and Healthy (${spokes} spokes, ${commits} commits, webhook): ${timings(fleet.took)}\n` +
        `  baseline, push → the Application Synced and Healthy (1 controller on ${spoke.name}, same commits, webhook): ${timings(base.took)}\n` +
        `  fleet/baseline: median ${(percentile(fleet.took, 50) / percentile(base.took, 50)).toFixed(2)}, p95 ${(percentile(fleet.took, 95) / percentile(base.took, 95)).toFixed(2)}\n`,
    );
    process.stdout.write(rssLines('while syncing', syncing.stop()));
  } finally {
    await baseline?.stop();
    await w.close();
  }
}
