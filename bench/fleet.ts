import { notifyHub } from '../src/dev/fleet.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { requestTally, type RequestTally } from './apiserver-requests.js';
import { appKeys, appSizes, realisticApp, smallApp, type AppKeys } from './fleet-app.js';
import { countsBetween, type GitCounts } from './fleet-git.js';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { defaultFleetNamespace } from '../src/fleet/names.js';
import {
  AssignmentTracker,
  cpuBetween,
  cpuSnapshot,
  fileSize,
  hubWritesSince,
  machineCpu,
  requestsBetween,
  type Cpu,
  type Part,
} from './fleet-measure.js';
import { printIdle, printLayout, printPhase, printRss, type Window } from './fleet-report.js';
import {
  appNamespace,
  decryptionSecret,
  startFleetBench,
  type FleetBench,
  type Layout,
} from './fleet-world.js';
import { sleep } from './timing.js';

type AppName = keyof typeof appSizes;

const num = (name: string, d: number): number => Number(process.env[name] ?? String(d));
const commits = num('BALLAST_BENCH_COMMITS', 5);
/** Which phases run on the whole fleet, e.g. `small,progressive` to leave out the realistic app. */
const fleetPhases = new Set(
  (process.env['BALLAST_BENCH_PHASES'] ?? 'small,progressive,realistic').split(','),
);
/** Waves of the progressive phase; each Cluster is labelled with one, round robin. */
const waves = 5;
const waveLabel = 'bench.ballast.dev/wave';
/**
 * Nice value of the spoke side (spoke apiservers and their kcm, scheduler and kwok, the agent
 * processes and their git children); 0 leaves it alone. In a real fleet that work runs on 500
 * other machines: niced, it no longer takes the hub's CPU on this one, and the hub-side figures
 * (push → pinned) are the hub's own. Its CPU-seconds are counted all the same.
 */
const spokeNice = num('BALLAST_BENCH_SPOKE_NICE', 0);
/** Between commits, so a window does not pay for the previous one's tail (kcm, Events). */
const gapMs = num('BALLAST_BENCH_GAP_MS', 5_000);

function layoutFromEnv(): Layout {
  const clusters = num('BALLAST_BENCH_CLUSTERS', 500);
  return {
    clusters,
    spokes: num('BALLAST_BENCH_SPOKES', 4),
    agentsPerProcess: num('BALLAST_BENCH_AGENTS_PER_PROCESS', 125),
    podsPerCluster: appSizes.realistic.pods,
  };
}

/** The processes of each part of the system, for the CPU breakdown. */
function partsOf(b: FleetBench): Part[] {
  const [hub, ...spokes] = b.state.clusters;
  const pid = (role: string, c = hub): number[] =>
    c?.daemons.filter((d) => d.role === role).map((d) => d.pid) ?? [];
  const others = b.state.clusters.flatMap((c) =>
    c.daemons
      .filter((d) => ['kube-controller-manager', 'kube-scheduler', 'kwok'].includes(d.role))
      .map((d) => d.pid),
  );
  return [
    { name: 'hub apiserver', pids: pid('kube-apiserver') },
    { name: 'hub controller', pids: pid('ballast-hub') },
    { name: 'etcd (hub and spokes)', pids: [b.state.etcd.daemon.pid] },
    { name: 'spoke apiservers', pids: spokes.flatMap((c) => pid('kube-apiserver', c)) },
    { name: 'kcm, scheduler, kwok', pids: others },
    { name: 'agent processes', pids: b.hosts.map((h) => h.pid) },
    { name: 'Git server', pids: [b.git.pid] },
    { name: 'bench driver', pids: [process.pid] },
  ];
}

/** Renices every thread of the spoke side's processes (Linux nice is per thread); how many. */
function reniceSpokes(b: FleetBench, nice: number): number {
  const [, ...spokes] = b.state.clusters;
  const pids = [
    ...spokes.flatMap((c) => c.daemons.map((d) => d.pid)),
    ...b.hosts.map((h) => h.pid),
  ];
  let threads = 0;
  for (const pid of pids)
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        setPriority(Number(tid), nice);
        threads++;
      } catch {
        // A thread that ended since the listing.
      }
    }
  return threads;
}

function filesOf(app: AppName, keys: AppKeys, commit: number): Record<string, string> {
  return app === 'small' ? smallApp(keys, commit) : realisticApp(keys, commit);
}

/**
 * Applies the FleetApplication `bench`: `path` placed on `clusterNames`, every cluster at once
 * (`strategy: all`, said outright: unset means progressive from 10 placed clusters on).
 */
async function fleetApp(
  b: FleetBench,
  app: AppName,
  clusterNames: string[],
  rollout: object = { strategy: 'all' },
): Promise<void> {
  await b.hub.apply({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'FleetApplication',
    metadata: { name: 'bench', namespace: appNamespace },
    spec: {
      template: {
        source: { repoURL: b.git.url, targetRevision: 'main', path: app },
        destination: { namespace: 'bench' },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
        decryption: { secretRef: { name: decryptionSecret } },
      },
      placement: { clusterNames },
      rollout,
    },
  });
}

interface Run {
  b: FleetBench;
  keys: AppKeys;
  tracker: AssignmentTracker;
  parts: Part[];
  commit: number;
  sha: string;
}

/** Places `app` on `clusters` and waits until all are Synced and Healthy; the seconds it took. */
async function place(r: Run, app: AppName, clusters: string[]): Promise<number> {
  const t0 = performance.now();
  r.tracker.target(r.sha, app);
  await fleetApp(r.b, app, clusters);
  await r.tracker.when('synced', clusters.length, 1_800_000);
  return (performance.now() - t0) / 1000;
}

/**
 * `commits` signed commits of `app`, each pushed, announced by the hub's push webhook and timed
 * from the end of the push to all `expected` Assignments pinned, then Synced and Healthy.
 */
async function measure(r: Run, app: AppName, expected: number): Promise<Window[]> {
  const { b, tracker } = r;
  const windows: Window[] = [];
  for (let i = 0; i < commits; i++) {
    r.commit++;
    for (const [path, text] of Object.entries(filesOf(app, r.keys, r.commit)))
      await b.repo.writeFile(path, text);
    const sha = await b.repo.commit(`bench ${r.commit}`, { signer: b.gpg });
    r.sha = sha;
    tracker.target(sha, app);
    const req0: RequestTally = await requestTally(b.hub);
    const audit = join(b.stateDir, 'cluster-1', 'audit.log');
    const offset = fileSize(audit);
    await b.repo.push();
    const t0 = performance.now();
    const cpu0 = cpuSnapshot(r.parts);
    const machine0 = machineCpu();
    const [git0] = await Promise.all([b.git.counts(), notifyHub(b.fleet.hub.webhook, b.git.url)]);
    // The first Assignment is written once the hub has fetched and resolved the commit.
    const first = await tracker.when('pinned', 1, 120_000);
    const pinned = await tracker.when('pinned', expected, 600_000);
    const synced = await tracker.when('synced', expected, 600_000);
    const cpu: Map<string, Cpu> = cpuBetween(cpu0, cpuSnapshot(r.parts));
    const machine = machineCpu() - machine0;
    const [req1, git1]: [RequestTally, GitCounts] = await Promise.all([
      requestTally(b.hub),
      b.git.counts(),
    ]);
    windows.push({
      firstPinnedMs: first - t0,
      pinnedMs: pinned - t0,
      syncedMs: synced - t0,
      cpu,
      requests: requestsBetween(req0, req1),
      git: countsBetween(git0, git1),
      hubWrites: hubWritesSince(audit, offset),
      machine,
    });
    await sleep(gapMs);
  }
  return windows;
}

/** CPU and hub requests over `ms` with nothing to do: heartbeats, watches, polls. */
async function idle(r: Run, ms: number): Promise<Window> {
  const req0 = await requestTally(r.b.hub);
  const cpu0 = cpuSnapshot(r.parts);
  const machine0 = machineCpu();
  const git0 = await r.b.git.counts();
  await sleep(ms);
  const cpu = cpuBetween(cpu0, cpuSnapshot(r.parts));
  const machine = machineCpu() - machine0;
  const [req1, git1] = await Promise.all([requestTally(r.b.hub), r.b.git.counts()]);
  return {
    firstPinnedMs: ms,
    pinnedMs: ms,
    syncedMs: ms,
    cpu,
    requests: requestsBetween(req0, req1),
    git: countsBetween(git0, git1),
    hubWrites: undefined,
    machine,
  };
}

/**
 * The progressive rollout: `waves` groups by label (the Clusters labelled round robin, as an
 * operator would), minSuccessTime 0, the other knobs at their defaults (maxConcurrency 25% of
 * the placed clusters, more than a group holds; maxFailures 0).
 */
async function progressive(r: Run, base: readonly Window[]): Promise<void> {
  const { b } = r;
  const n = b.clusterNames.length;
  await Promise.all(
    b.clusterNames.map(async (name, i) => {
      const res = await b.hub.http.request(
        'PATCH',
        `/apis/ballast.dev/v1alpha1/namespaces/${defaultFleetNamespace}/clusters/${name}`,
        JSON.stringify({ metadata: { labels: { [waveLabel]: String(i % waves) } } }),
        { 'content-type': 'application/merge-patch+json' },
      );
      if (res.status !== 200)
        throw new Error(`labelling Cluster ${name}: ${res.status} ${res.body}`);
    }),
  );
  const groups = Array.from({ length: waves }, (_, w) => ({
    name: `wave-${w}`,
    clusterSelector: { matchLabels: { [waveLabel]: String(w) } },
  }));
  const rollout = { strategy: 'progressive', groups, minSuccessTime: '0s' };
  await fleetApp(b, 'small', b.clusterNames, rollout);
  await r.tracker.when('synced', n, 600_000);
  await sleep(gapMs);
  const windows = await measure(r, 'small', n);
  printPhase(
    'small app (5 objects per cluster)',
    windows,
    base,
    n,
    `strategy progressive (${waves} groups of ${Math.ceil(n / waves)}, minSuccessTime 0)`,
  );
  await fleetApp(b, 'small', b.clusterNames);
}

async function phases(r: Run): Promise<void> {
  const { b } = r;
  const all = b.clusterNames;
  const one = all.slice(0, 1);
  const n = all.length;
  r.sha = await b.repo.commit('bench 0: both apps', { signer: b.gpg });
  await b.repo.push();
  await place(r, 'small', one);
  const baseSmall = await measure(r, 'small', 1);
  await place(r, 'realistic', one);
  const baseRealistic = await measure(r, 'realistic', 1);
  const first = await place(r, 'small', all);
  process.stdout.write(
    `\n  the small app placed on ${one.length} → ${n} clusters: all Synced and Healthy in ${first.toFixed(1)} s\n`,
  );
  await sleep(gapMs);
  printIdle(await idle(r, 20_000), n);
  if (fleetPhases.has('small')) {
    const small = await measure(r, 'small', n);
    printPhase('small app (5 objects per cluster)', small, baseSmall, n);
    printRss(b);
  }
  if (fleetPhases.has('progressive')) await progressive(r, baseSmall);
  if (!fleetPhases.has('realistic')) return;
  const switched = await place(r, 'realistic', all);
  process.stdout.write(
    `\n  the FleetApplication switched to the realistic app on ${n} clusters (20 objects, 15 of them new): all Synced and Healthy in ${switched.toFixed(1)} s\n`,
  );
  await sleep(gapMs);
  const realistic = await measure(r, 'realistic', n);
  printPhase('realistic app (20 objects per cluster)', realistic, baseRealistic, n);
  printRss(b);
}

/**
 * bench:fleet: one commit to BALLAST_BENCH_CLUSTERS clusters (default 500), each an agent in
 * namespace mode on one of a few spoke apiservers, every agent with its own hub identity,
 * watches and reconcile loop, several agents to a process. Baseline in the same run: the same
 * commits with the FleetApplication placed on one of those clusters.
 */
export async function benchFleet(): Promise<void> {
  await ensureTools(controlPlaneTools, (l) => process.stdout.write(l + '\n'));
  const layout = layoutFromEnv();
  const keys = await appKeys();
  const t0 = performance.now();
  const b = await startFleetBench(layout, keys.ageKey);
  // Interrupted, it still stops the control plane, the agents and the Git server.
  const onSignal = (): void => {
    void b.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    printLayout(b, (performance.now() - t0) / 1000);
    if (spokeNice !== 0)
      process.stdout.write(
        `          spoke side (spoke apiservers with their kcm, scheduler and kwok; agent processes and their git children) at nice ${spokeNice}, ${reniceSpokes(b, spokeNice)} threads: the hub, its apiserver, etcd and the Git server keep nice 0\n`,
      );
    for (const app of ['small', 'realistic'] as const)
      for (const [path, text] of Object.entries(filesOf(app, keys, 0)))
        await b.repo.writeFile(path, text);
    const tracker = new AssignmentTracker(b.hub, `${appNamespace}.bench`);
    await tracker.start();
    try {
      await phases({ b, keys, tracker, parts: partsOf(b), commit: 0, sha: '' });
    } finally {
      await tracker.stop();
    }
  } finally {
    await b.close();
  }
}
