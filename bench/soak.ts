import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { stopDaemon, type DaemonRecord } from '../src/dev/daemon.js';
import { createBareRepo, startGitServer, WorkingClone } from '../src/dev/git/index.js';
import { freePort } from '../src/dev/ports.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { appName, createApps, untilAllSynced } from '../test/support/many-apps.js';
import { controllerKubeconfig } from './controller-identity.js';
import { connectionsTo, memory, openFds, startBenchController } from './controller-run.js';
import { injectForSeconds, revertBoundMs, soakAppObjects, type Drift } from './soak-drift.js';
import { cpuSeconds, percentile, settle, sleep } from './timing.js';

const apps = Number(process.env.BALLAST_BENCH_SOAK_APPS ?? '200');
const seconds = Number(process.env.BALLAST_BENCH_SOAK_SECONDS ?? '600');
const logLevel = process.env.BALLAST_BENCH_LOG_LEVEL ?? 'warn';
const sampleMs = 10_000;
const ns = 'bench-soak';
const out = (line: string): void => {
  process.stdout.write(line + '\n');
};

/** One look at the controller process, taken every sampleMs during the soak. */
interface Sample {
  atS: number;
  rssMiB: number;
  anonMiB: number;
  heapMiB: number;
  fds: number;
  /** Watches the controller says it has open (`ballast_watches`). */
  watches: number;
  /** Its established TCP connections to the apiserver. */
  conns: number;
  /** WATCH requests the apiserver is serving, from every client. */
  apiWatches: number;
  cpuS: number;
  /** Drifts whose check ended (reverted, or not within revertBoundMs), and those reverted. */
  checked: number;
  reverted: number;
}

const gauge = (text: string, name: string): number =>
  Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]);

/** WATCH requests in flight at the apiserver, summed over resources. */
async function apiserverWatches(admin: Cluster): Promise<number> {
  const r = await admin.http.request('GET', '/metrics', undefined, { accept: 'text/plain' });
  return r.body
    .split('\n')
    .filter((l) => l.startsWith('apiserver_longrunning_requests{') && l.includes('verb="WATCH"'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function sample(
  admin: Cluster,
  pid: number,
  metricsPort: number,
  apiPort: number,
  atS: number,
  drifts: { checked: number; reverted: number },
): Promise<Sample> {
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = memory(pid);
  return {
    atS,
    rssMiB: m.rssMiB,
    anonMiB: m.anonMiB,
    heapMiB: gauge(metrics, 'nodejs_heap_size_used_bytes') / 1048576,
    fds: openFds(pid),
    watches: gauge(metrics, 'ballast_watches'),
    conns: connectionsTo(pid, apiPort),
    apiWatches: await apiserverWatches(admin),
    cpuS: cpuSeconds(pid),
    ...drifts,
  };
}

const row = (s: Sample): string =>
  [
    `${s.atS.toFixed(0).padStart(5)}s`,
    `rss ${s.rssMiB.toFixed(1)}`,
    `anon ${s.anonMiB.toFixed(1)}`,
    `heap ${s.heapMiB.toFixed(1)}`,
    `fds ${s.fds}`,
    `watches ${s.watches}`,
    `conns ${s.conns}`,
    `api-watches ${s.apiWatches}`,
    `cpu ${s.cpuS.toFixed(1)}s`,
    `reverted ${s.reverted}/${s.checked}`,
  ].join('  ');

/** `p50/p95/max` of the reverts of each minute's drifts, in order. */
function byMinute(drifts: readonly Drift[]): string {
  const minutes: number[][] = [];
  for (const d of drifts)
    if (d.revertMs !== undefined) (minutes[Math.floor(d.atMs / 60_000)] ??= []).push(d.revertMs);
  return minutes
    .map((ms) =>
      [percentile(ms, 50), percentile(ms, 95), Math.max(...ms)].map((x) => x.toFixed(0)).join('/'),
    )
    .join(', ');
}

/** The first and last minute of the soak, each its own figures: the baseline and the end. */
function report(samples: readonly Sample[], drifts: readonly Drift[], peakMiB: number): void {
  const end = samples.at(-1)?.atS ?? 0;
  const first = samples.filter((s) => s.atS <= 60);
  const last = samples.filter((s) => s.atS >= end - 60);
  const mean = (xs: readonly Sample[], f: (s: Sample) => number): number =>
    xs.reduce((a, s) => a + f(s), 0) / Math.max(1, xs.length);
  const growth = (f: (s: Sample) => number): string => {
    const a = mean(first, f);
    const b = mean(last, f);
    return `${a.toFixed(1)} → ${b.toFixed(1)} MiB (${(((b - a) / a) * 100).toFixed(1)}%)`;
  };
  const span = (f: (s: Sample) => number): string =>
    `${f(samples[0] as Sample)} → ${f(samples.at(-1) as Sample)} (min ${Math.min(...samples.map(f))}, max ${Math.max(...samples.map(f))})`;
  const latencies = (ds: readonly Drift[]): string => {
    const ms = ds.flatMap((d) => (d.revertMs === undefined ? [] : [d.revertMs]));
    if (ms.length === 0) return 'none reverted';
    return `p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`;
  };
  const lost = drifts.filter((d) => d.revertMs === undefined);
  const firstDrifts = drifts.filter((d) => d.atMs < 60_000);
  const lastDrifts = drifts.filter((d) => d.atMs >= (end - 60) * 1000);
  out(`summary, first minute (baseline) → last minute, means of the ${sampleMs / 1000} s samples:`);
  out(`  RSS ${growth((s) => s.rssMiB)} (goal < 5%); VmHWM over the run ${peakMiB.toFixed(1)} MiB`);
  out(`  anonymous ${growth((s) => s.anonMiB)}, V8 heap used ${growth((s) => s.heapMiB)}`);
  out(`  open fds ${span((s) => s.fds)}`);
  out(`  ballast_watches ${span((s) => s.watches)}`);
  out(`  controller→apiserver TCP connections ${span((s) => s.conns)}`);
  out(`  apiserver WATCH requests (all clients) ${span((s) => s.apiWatches)}`);
  out(
    `  drifts injected ${drifts.length}, reverted within ${revertBoundMs / 1000} s ${drifts.length - lost.length}, not ${lost.length}${lost.length > 0 ? ` (${lost.map((d) => `#${d.n} ${d.target}`).join(', ')})` : ''}`,
  );
  out(`  drift → reverted, whole run: ${latencies(drifts)}`);
  out(`    first minute: ${latencies(firstDrifts)}; last minute: ${latencies(lastDrifts)}`);
  out(`  by minute, p50/p95/max ms: ${byMinute(drifts)}`);
}

/** Samples every sampleMs until `done` settles, printing each sample as it is taken. */
async function sampleUntil(
  done: Promise<unknown>,
  take: (atS: number) => Promise<Sample>,
  soakStart: number,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  // An object, not a let: the callback's write is invisible to the linter's flow analysis.
  const end = { reached: false };
  const reached = (): void => {
    end.reached = true;
  };
  // The caller awaits `done` itself and sees its rejection there.
  done.then(reached, reached);
  for (let k = 0; ; k++) {
    const due = soakStart + k * sampleMs;
    while (!end.reached && performance.now() < due)
      await sleep(Math.min(250, due - performance.now()));
    if (end.reached) break;
    const s = await take((performance.now() - soakStart) / 1000);
    samples.push(s);
    out(row(s));
  }
  samples.push(await take((performance.now() - soakStart) / 1000));
  out(row(samples.at(-1) as Sample));
  return samples;
}

/**
 * 200 Applications (a ConfigMap and a Deployment each) under the built `ballast controller`,
 * run as `ballast install` deploys it, and a drift injected every second for ten minutes:
 * the controller's RSS, fds and watches over time, and every drift's revert.
 */
export async function benchSoak(): Promise<void> {
  await ensureTools(controlPlaneTools, out);
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-soak-'));
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const kubeconfig = up.state.clusters[0]?.kubeconfig ?? '';
  const admin = Cluster.connect({ kubeconfig });
  const server = await startGitServer({
    auth: { users: [], tokens: [] },
    allowPush: true,
    ssh: false,
  });
  let controller: DaemonRecord | undefined;
  let repo: WorkingClone | undefined;
  try {
    await createBareRepo(server, 'soak');
    repo = await WorkingClone.clone({ url: server.httpUrl('soak'), access: { kind: 'anonymous' } });
    for (let i = 0; i < apps; i++)
      await repo.writeFile(`apps/${appName(i)}/app.yaml`, soakAppObjects(appName(i)));
    await repo.commit('soak');
    await repo.push();
    const sha = await repo.head();
    const controllerConfig = join(state, 'controller.kubeconfig');
    await controllerKubeconfig(admin, kubeconfig, controllerConfig);
    await createApps(admin, ns, apps, server.httpUrl('soak'), {
      duration: '1s',
      factor: 2,
      maxDuration: '30s',
    });
    const port = await freePort();
    controller = startBenchController({
      kubeconfig: controllerConfig,
      namespace: ns,
      port,
      state,
      logLevel,
    });
    const pid = controller.pid;
    const warmMs = await untilAllSynced(admin, ns, apps, sha, 600_000);
    // kube-controller-manager creates the Deployments' ReplicaSets after Ballast is done.
    const controlPlane = [up.state.etcd.daemon, ...(up.state.clusters[0]?.daemons ?? [])];
    const settleMs = await settle([pid, ...controlPlane.map((d) => d.pid)], 120_000);
    out(
      `${apps} Applications × 2 objects (ConfigMap, Deployment of 0 replicas), selfHeal, one controller process:`,
    );
    out(
      `  warm-up: all Synced and Healthy ${(warmMs / 1000).toFixed(1)} s after start, CPU settled ${(settleMs / 1000).toFixed(1)} s later`,
    );
    out(
      `  then one drift a second for ${seconds} s (merge patch by another field manager, round-robin ConfigMap data / Deployment scale to 1):`,
    );
    const apiPort = Number(new URL(admin.http.server).port);
    const soakStart = performance.now();
    const counts = { checked: 0, reverted: 0 };
    const drifting = injectForSeconds(admin, ns, apps, seconds, soakStart, (d) => {
      counts.checked++;
      if (d.revertMs !== undefined) counts.reverted++;
    });
    const samples = await sampleUntil(
      drifting,
      (atS) => sample(admin, pid, port, apiPort, atS, counts),
      soakStart,
    );
    report(samples, await drifting, memory(pid).peakMiB);
  } finally {
    if (controller !== undefined) await stopDaemon(controller, 30_000);
    admin.close();
    await repo?.remove();
    await server.stop();
    await devDown(state);
    await rm(state, { recursive: true, force: true });
  }
}
