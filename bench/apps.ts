import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/api/object.js';
import { mapBounded } from '../src/apply/pool.js';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { stopDaemon, type DaemonRecord } from '../src/dev/daemon.js';
import { createBareRepo, startGitServer, WorkingClone } from '../src/dev/git/index.js';
import { freePort } from '../src/dev/ports.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { describeRequests, requestTally } from './apiserver-requests.js';
import { cpuSeconds, settle, summary } from './timing.js';
import { driftUnderLoad } from './apps-drift.js';
import { controllerKubeconfig } from './controller-identity.js';
import { memory, startBenchController } from './controller-run.js';

/** `--apps N` (as `npm run bench:apps -- --apps 10000`) or BALLAST_BENCH_APPS; 1000 by default. */
const appsFlag = process.argv.indexOf('--apps');
const apps = Number(
  (appsFlag >= 0 ? process.argv[appsFlag + 1] : undefined) ??
    process.env.BALLAST_BENCH_APPS ??
    '1000',
);
if (!(Number.isInteger(apps) && apps > 0)) throw new Error(`--apps wants a count, not ${apps}`);
const workers = process.env.BALLAST_BENCH_WORKERS ?? '16';
/** For profiling: extra node flags (`--cpu-prof`), a log level, and where to keep the log. */
const nodeArgs = (process.env.BALLAST_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/**
 * The installed Deployment caps the old generation at 128 MiB (`controllerNodeEnv`); 10,000
 * Applications ran out of it after 6 minutes. Past 2000 apps the bench gives 384 MiB, what fits
 * the Deployment's 512 MiB limit, unless the node flags name a size.
 */
if (apps > 2000 && !nodeArgs.some((a) => a.startsWith('--max-old-space-size')))
  nodeArgs.push('--max-old-space-size=384');
const heapCap = /--max-old-space-size=(\d+)/.exec(nodeArgs.join(' '))?.[1] ?? '128';
const logLevel = process.env.BALLAST_BENCH_LOG_LEVEL ?? 'warn';
const keepLog = process.env.BALLAST_BENCH_KEEP_LOG;
/** For iterating on the cold figure: stop after it, without drift under load or growing. */
const coldOnly = process.env.BALLAST_BENCH_COLD_ONLY === '1';
/** Growing every app to 10 objects: by default only up to 1000 apps (10k objects). */
const grow = (process.env.BALLAST_BENCH_GROW ?? (apps <= 1000 ? '1' : '0')) === '1';
const driftChanges = Number(process.env.BALLAST_BENCH_CHANGES ?? '50');
/**
 * kube-controller-manager's request rate: at its default 20 per second, creating the ReplicaSets
 * and EndpointSlices of 10,000 apps takes half an hour, and no Deployment is Healthy before.
 */
const kcmQps = Number(process.env.BALLAST_BENCH_KCM_QPS ?? '200');
/** For profiling memory: where to copy the controller's /proc smaps when the 10k figure is taken. */
const smapsCopy = process.env.BALLAST_BENCH_SMAPS;
const ns = 'bench-apps';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const name = (i: number): string => `a${String(i).padStart(apps > 10_000 ? 6 : 5, '0')}`;
const out = (line: string): void => {
  process.stdout.write(line + '\n');
};

/**
 * Five kinds a small service has. The Deployment has no replicas: pods on fake nodes would
 * measure the scheduler and kwok, not the controller, and keep every app Progressing.
 */
function appObjects(app: string): string {
  const labels = `{app: ${app}}`;
  return [
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${app}-config}\ndata: {level: "1", owner: ${app}}\n`,
    `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${app}}\n`,
    `apiVersion: v1\nkind: Service\nmetadata: {name: ${app}}\nspec:\n  selector: ${labels}\n  ports: [{port: 80, targetPort: 8080}]\n`,
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: ${app}}\nrules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]\n`,
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${app}}\nspec:\n  replicas: 0\n  selector: {matchLabels: ${labels}}\n  template:\n    metadata: {labels: ${labels}}\n    spec: {serviceAccountName: ${app}, containers: [{name: app, image: "nginx:1.27"}]}\n`,
  ].join('---\n');
}

/** Five more ConfigMaps per app: with them, 1000 apps manage 10k objects. */
function extraObjects(app: string): string {
  return Array.from(
    { length: 5 },
    (_, i) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${app}-extra-${i}}\ndata: {n: "${i}"}\n`,
  ).join('---\n');
}

function application(app: string, repoURL: string): KubeObject {
  return {
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: app, namespace: ns },
    spec: {
      source: { repoURL, targetRevision: 'main', path: `apps/${app}` },
      destination: { namespace: ns },
      syncPolicy: { automated: { prune: true, selfHeal: true }, drift: 'heal', interval: '1h' },
    },
  };
}

/**
 * Waits until every Application is Synced at `revision` (and, with `healthy`, Healthy too),
 * following one watch stream: polling a list of thousands of Applications with their status
 * would load the apiserver being measured. Returns when all were Synced, and all were both.
 */
async function waitAllSynced(
  cluster: Cluster,
  revision: string,
  timeoutMs: number,
  healthy = false,
): Promise<{ syncedMs: number; readyMs: number }> {
  const t0 = performance.now();
  const synced = new Set<string>();
  const ready = new Set<string>();
  let syncedMs = NaN;
  const abort = new AbortController();
  const timer = setTimeout(() => {
    abort.abort();
  }, timeoutMs);
  const path = `/apis/ballast.dev/v1alpha1/namespaces/${ns}/applications?watch=1`;
  try {
    while (ready.size < apps && !abort.signal.aborted) {
      await cluster.http.stream(
        path,
        (line) => {
          const e = JSON.parse(line) as { object: KubeObject };
          const status = e.object.status as
            | { sync?: { status?: string; revision?: string }; health?: { status?: string } }
            | undefined;
          const sync = status?.sync;
          const key = e.object.metadata.name;
          const isSynced = sync?.status === 'Synced' && sync.revision === revision;
          if (isSynced) synced.add(key);
          else synced.delete(key);
          if (isSynced && (!healthy || status?.health?.status === 'Healthy')) ready.add(key);
          else ready.delete(key);
          if (synced.size === apps && Number.isNaN(syncedMs)) syncedMs = performance.now() - t0;
          if (ready.size === apps) abort.abort();
        },
        { signal: abort.signal, idleTimeoutMs: 60_000 },
      );
    }
  } finally {
    clearTimeout(timer);
  }
  if (ready.size < apps)
    throw new Error(
      `only ${ready.size}/${apps} ${healthy ? 'Synced+Healthy' : 'Synced'} (${synced.size} Synced) after ${timeoutMs} ms`,
    );
  return { syncedMs, readyMs: performance.now() - t0 };
}

/**
 * N Applications of 5 objects each, reconciled from cold by a `ballast controller` child
 * process until Synced and Healthy; the memory of watching them all; `kubectl scale` reverted
 * during a full resync; then (up to 1000 apps) grown to 10 objects each through one webhook.
 */
export async function benchApps(): Promise<void> {
  await ensureTools(controlPlaneTools, out);
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-apps-'));
  const up = await devUp({
    ...defaultUpOptions(state),
    clusters: 1,
    controllerManagerQps: kcmQps,
  });
  const kubeconfig = up.state.clusters[0]?.kubeconfig ?? '';
  const pidOf = (role: string): number =>
    up.state.clusters[0]?.daemons.find((d) => d.role === role)?.pid ?? 0;
  const apiserverPid = pidOf('kube-apiserver');
  const etcdPid = up.state.etcd.daemon.pid;
  const kcmPid = pidOf('kube-controller-manager');
  const cluster = Cluster.connect({ kubeconfig });
  const server = await startGitServer({
    auth: { users: [], tokens: [] },
    allowPush: true,
    ssh: false,
  });
  let controller: DaemonRecord | undefined;
  let repo: WorkingClone | undefined;
  try {
    await createBareRepo(server, 'fleet');
    repo = await WorkingClone.clone({
      url: server.httpUrl('fleet'),
      access: { kind: 'anonymous' },
    });
    for (let i = 0; i < apps; i++)
      await repo.writeFile(`apps/${name(i)}/app.yaml`, appObjects(name(i)));
    await repo.commit('fleet');
    await repo.push();
    const first = await repo.head();
    const controllerConfig = join(state, 'controller.kubeconfig');
    await controllerKubeconfig(cluster, kubeconfig, controllerConfig);
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await mapBounded(
      Array.from({ length: apps }, (_, i) => name(i)),
      16,
      (a) => cluster.apply(application(a, server.httpUrl('fleet'))),
    );
    const port = await freePort();
    const secret = randomBytes(16).toString('hex');
    const secretFile = join(state, 'hook.secret');
    await writeFile(secretFile, secret);
    controller = startBenchController({
      kubeconfig: controllerConfig,
      namespace: ns,
      port,
      state,
      logLevel,
      nodeArgs,
      args: ['--workers', workers, '--webhook-secret-file', secretFile],
    });
    const beforeCold = await requestTally(cluster);
    const cpuAt = (): CpuSnapshot => ({
      controller: cpuSeconds(controller?.pid ?? 0),
      apiserver: cpuSeconds(apiserverPid),
      etcd: cpuSeconds(etcdPid),
      kcm: cpuSeconds(kcmPid),
    });
    const cpu0 = cpuAt();
    const cold = await waitAllSynced(cluster, first, 3_600_000, true);
    const afterCold = await requestTally(cluster);
    const coldMem = memory(controller.pid);
    out(
      `${apps} Applications × 5 objects, from cold (${workers} workers, controller in a child process with a ${heapCap} MiB heap cap, kube-controller-manager at ${kcmQps} qps):`,
    );
    out(
      `  all Synced after ${(cold.syncedMs / 1000).toFixed(1)} s, all Synced and Healthy after ${(cold.readyMs / 1000).toFixed(1)} s (goal < 300 s at 10k), peak RSS ${coldMem.peakMiB.toFixed(0)} MiB (goal < 512 MiB)`,
    );
    out(`  CPU seconds from controller start: ${describeCpu(cpu0, cpuAt())}`);
    out(
      `  machine load: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    out(describeRequests(beforeCold, afterCold, apps));
    if (coldOnly) return;

    const metricsText = async (): Promise<string> =>
      (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // What kube-controller-manager still has queued (ReplicaSets, EndpointSlices) is not ours.
    const settledMs = await settle([controller.pid, apiserverPid, kcmPid], 300_000);
    // Let the post-sync garbage go, so the figure is what watching costs, not the sync's peak.
    await sleep(15_000);
    const watched = memory(controller.pid);
    const watchMetrics = await metricsText();
    const watches = /^ballast_watches (\d+)/m.exec(watchMetrics)?.[1] ?? '?';
    out(
      `${apps * 5} managed objects (${watches} watches), settled ${(settledMs / 1000).toFixed(0)} s + 15 s after cold:`,
    );
    out(
      `  RSS ${watched.rssMiB.toFixed(0)} MiB (goal < 400 MiB at 50k objects; ${watched.anonMiB.toFixed(0)} anonymous, ${watched.fileMiB.toFixed(0)} file-backed), peak RSS so far ${watched.peakMiB.toFixed(0)} MiB`,
    );
    out(heapLine(watchMetrics));

    const body = JSON.stringify({ repoURL: server.httpUrl('fleet') });
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const postHook = (): Promise<Response> =>
      fetch(`http://127.0.0.1:${port}/hooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ballast-signature': signature },
        body,
      });
    // A webhook with no new commit: every Application is reconciled and finds nothing to do.
    const reconciles = async (): Promise<number> => {
      const text = await metricsText();
      const counts = text.matchAll(/^ballast_reconcile_duration_seconds_count\{[^}]*\} (\d+)$/gm);
      return [...counts].reduce((n, m) => n + Number(m[1]), 0);
    };
    const beforeResync = await requestTally(cluster);
    const reconciledBefore = await reconciles();
    const cpuResync = cpuAt();
    const t0 = performance.now();
    await postHook();
    while ((await reconciles()) < reconciledBefore + apps) await sleep(100);
    const resyncMs = performance.now() - t0;
    out(
      `a webhook with nothing new: ${apps} Applications reconciled in ${(resyncMs / 1000).toFixed(1)} s`,
    );
    out(`  CPU seconds: ${describeCpu(cpuResync, cpuAt())}`);
    out(describeRequests(beforeResync, await requestTally(cluster), apps));

    const step = Math.max(1, Math.floor(apps / driftChanges));
    const drift = await driftUnderLoad({
      cluster,
      ns,
      apps,
      deployments: Array.from({ length: Math.min(driftChanges, apps) }, (_, i) =>
        name((i * step + Math.floor(step / 2)) % apps),
      ),
      startResync: async () => {
        await postHook();
      },
      reconciles,
    });
    out(
      `drift under load: ${drift.reverted.length} × kubectl scale (merge patch of /scale, field manager kubectl), ${drift.duringResync} of them during a full resync (${drift.resyncs} started):`,
    );
    out(`  scale → reverted: ${summary(drift.reverted)} (goal p95 < 250 ms)`);
    // The resync holds every app's live objects at once for a moment: the run's peak may be here.
    out(`  peak RSS of the run so far ${memory(controller.pid).peakMiB.toFixed(0)} MiB`);
    out(
      `  machine load: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    if (grow) await growFleet(repo, postHook, () => metricsText(), controller.pid);
    else if (smapsCopy !== undefined)
      await writeFile(smapsCopy, readFileSync(`/proc/${controller.pid}/smaps`, 'utf8'));
    if (nodeArgs.some((a) => a.startsWith('--heapsnapshot-signal'))) {
      // Profiling memory: the controller writes Heap.*.heapsnapshot into its working directory.
      process.kill(controller.pid, 'SIGUSR2');
      await sleep(30_000);
    }
  } finally {
    if (controller !== undefined) await stopDaemon(controller, 30_000);
    if (keepLog !== undefined) await copyFile(join(state, 'controller.log'), keepLog);
    cluster.close();
    await repo?.remove();
    await server.stop();
    await devDown(state);
    await rm(state, { recursive: true, force: true });
  }

  /** Five more objects per app, pushed and announced by one webhook: 10 objects per app. */
  async function growFleet(
    repo: WorkingClone,
    postHook: () => Promise<Response>,
    metricsText: () => Promise<string>,
    pid: number,
  ): Promise<void> {
    const beforeGrow = await requestTally(cluster);
    for (let i = 0; i < apps; i++)
      await repo.writeFile(`apps/${name(i)}/extra.yaml`, extraObjects(name(i)));
    await repo.commit('five more objects per app');
    await repo.push();
    const second = await repo.head();
    await postHook();
    const { readyMs: growMs } = await waitAllSynced(cluster, second, 1_800_000);
    const afterGrow = await requestTally(cluster);
    // Let the post-sync garbage go, so the figure is what watching costs, not the sync's peak.
    await sleep(15_000);
    const steady = memory(pid);
    // /proc files report no size, so they are read, not copied.
    if (smapsCopy !== undefined)
      await writeFile(smapsCopy, readFileSync(`/proc/${pid}/smaps`, 'utf8'));
    const metrics = await metricsText();
    const watches = /^ballast_watches (\d+)/m.exec(metrics)?.[1] ?? '?';
    out(
      `${apps * 10} managed objects (${watches} watches), after a push applied in ${(growMs / 1000).toFixed(1)} s:`,
    );
    out(
      `  RSS ${steady.rssMiB.toFixed(0)} MiB (goal < 150 MiB; ${steady.anonMiB.toFixed(0)} anonymous, ${steady.fileMiB.toFixed(0)} file-backed), peak RSS so far ${steady.peakMiB.toFixed(0)} MiB`,
    );
    out(heapLine(metrics));
    out(describeRequests(beforeGrow, afterGrow, apps));
  }
}

/** CPU seconds of the processes that do the work, at one moment. */
interface CpuSnapshot {
  controller: number;
  apiserver: number;
  etcd: number;
  kcm: number;
}

function describeCpu(a: CpuSnapshot, b: CpuSnapshot): string {
  const d = (k: keyof CpuSnapshot): string => (b[k] - a[k]).toFixed(1);
  return `controller ${d('controller')}, kube-apiserver ${d('apiserver')}, etcd ${d('etcd')}, kube-controller-manager ${d('kcm')}`;
}

function heapLine(metrics: string): string {
  const heapMiB = (name: string): string =>
    (Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1]) / 1048576).toFixed(0);
  return `  V8 heap used ${heapMiB('nodejs_heap_size_used_bytes')} MiB of ${heapMiB('nodejs_heap_size_total_bytes')} MiB, external ${heapMiB('nodejs_external_memory_bytes')} MiB`;
}
