import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { cpuSeconds } from './timing.js';
import { controllerKubeconfig } from './controller-identity.js';
import { memory, startBenchController } from './controller-run.js';

const apps = Number(process.env.BALLAST_BENCH_APPS ?? '1000');
const workers = process.env.BALLAST_BENCH_WORKERS ?? '16';
/** For profiling: extra node flags (`--cpu-prof`), a log level, and where to keep the log. */
const nodeArgs = (process.env.BALLAST_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const logLevel = process.env.BALLAST_BENCH_LOG_LEVEL ?? 'warn';
const keepLog = process.env.BALLAST_BENCH_KEEP_LOG;
/** For iterating on the cold figure: stop after it, without growing to 10k objects. */
const coldOnly = process.env.BALLAST_BENCH_COLD_ONLY === '1';
/** For profiling memory: where to copy the controller's /proc smaps when the 10k figure is taken. */
const smapsCopy = process.env.BALLAST_BENCH_SMAPS;
const ns = 'bench-apps';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const name = (i: number): string => `a${String(i).padStart(4, '0')}`;
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
 * Waits until every Application is Synced at `revision`, following one watch stream: polling
 * a list of 1000 Applications with their status would load the apiserver being measured.
 */
async function waitAllSynced(
  cluster: Cluster,
  revision: string,
  timeoutMs: number,
): Promise<number> {
  const t0 = performance.now();
  const synced = new Set<string>();
  const abort = new AbortController();
  const timer = setTimeout(() => {
    abort.abort();
  }, timeoutMs);
  const path = `/apis/ballast.dev/v1alpha1/namespaces/${ns}/applications?watch=1`;
  try {
    while (synced.size < apps && !abort.signal.aborted) {
      await cluster.http.stream(
        path,
        (line) => {
          const e = JSON.parse(line) as { object: KubeObject };
          const status = e.object.status as
            { sync?: { status?: string; revision?: string } } | undefined;
          const sync = status?.sync;
          const key = e.object.metadata.name;
          if (sync?.status === 'Synced' && sync.revision === revision) synced.add(key);
          else synced.delete(key);
          if (synced.size === apps) abort.abort();
        },
        { signal: abort.signal, idleTimeoutMs: 60_000 },
      );
    }
  } finally {
    clearTimeout(timer);
  }
  if (synced.size < apps)
    throw new Error(`only ${synced.size}/${apps} Synced after ${timeoutMs} ms`);
  return performance.now() - t0;
}

/**
 * 1000 Applications of 5 objects each, reconciled from cold by a `ballast controller` child
 * process, then grown to 10 objects each (10k objects watched) through one webhook.
 */
export async function benchApps(): Promise<void> {
  await ensureTools(controlPlaneTools, out);
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-apps-'));
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const kubeconfig = up.state.clusters[0]?.kubeconfig ?? '';
  const apiserverPid =
    up.state.clusters[0]?.daemons.find((d) => d.role === 'kube-apiserver')?.pid ?? 0;
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
    const coldMs = await waitAllSynced(cluster, first, 1_800_000);
    const afterCold = await requestTally(cluster);
    const cold = memory(controller.pid);
    out(
      `${apps} Applications × 5 objects, from cold (${workers} workers, controller in a child process):`,
    );
    out(
      `  all Synced after ${(coldMs / 1000).toFixed(1)} s (goal < 60 s), peak RSS ${cold.peakMiB.toFixed(0)} MiB (goal < 256 MiB)`,
    );
    out(
      `  controller CPU ${cpuSeconds(controller.pid).toFixed(1)} s, kube-apiserver CPU ${cpuSeconds(apiserverPid).toFixed(1)} s (whole run so far)`,
    );
    out(describeRequests(beforeCold, afterCold, apps));
    if (coldOnly) return;

    for (let i = 0; i < apps; i++)
      await repo.writeFile(`apps/${name(i)}/extra.yaml`, extraObjects(name(i)));
    await repo.commit('five more objects per app');
    await repo.push();
    const second = await repo.head();
    const body = JSON.stringify({ repoURL: server.httpUrl('fleet') });
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const postHook = (): Promise<Response> =>
      fetch(`http://127.0.0.1:${port}/hooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ballast-signature': signature },
        body,
      });
    await postHook();
    const growMs = await waitAllSynced(cluster, second, 1_800_000);
    const afterGrow = await requestTally(cluster);
    // Let the post-sync garbage go, so the figure is what watching costs, not the sync's peak.
    await sleep(15_000);
    const steady = memory(controller.pid);
    // /proc files report no size, so they are read, not copied.
    if (smapsCopy !== undefined)
      await writeFile(smapsCopy, readFileSync(`/proc/${controller.pid}/smaps`, 'utf8'));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const watches = /^ballast_watches (\d+)/m.exec(metrics)?.[1] ?? '?';
    const heapMiB = (name: string): string =>
      (Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1]) / 1048576).toFixed(0);
    out(
      `${apps * 10} managed objects (${watches} watches), after a push applied in ${(growMs / 1000).toFixed(1)} s:`,
    );
    out(
      `  RSS ${steady.rssMiB.toFixed(0)} MiB (goal < 150 MiB; ${steady.anonMiB.toFixed(0)} anonymous, ${steady.fileMiB.toFixed(0)} file-backed), peak RSS so far ${steady.peakMiB.toFixed(0)} MiB`,
    );
    out(
      `  V8 heap used ${heapMiB('nodejs_heap_size_used_bytes')} MiB of ${heapMiB('nodejs_heap_size_total_bytes')} MiB, external ${heapMiB('nodejs_external_memory_bytes')} MiB`,
    );
    out(describeRequests(afterCold, afterGrow, apps));

    // A webhook with no new commit: every Application is reconciled and finds nothing to do.
    const reconciles = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const counts = text.matchAll(/^ballast_reconcile_duration_seconds_count\{[^}]*\} (\d+)$/gm);
      return [...counts].reduce((n, m) => n + Number(m[1]), 0);
    };
    const beforeResync = await requestTally(cluster);
    const reconciledBefore = await reconciles();
    const t0 = performance.now();
    await postHook();
    while ((await reconciles()) < reconciledBefore + apps) await sleep(100);
    const resyncMs = performance.now() - t0;
    out(
      `a webhook with nothing new: ${apps} Applications reconciled in ${(resyncMs / 1000).toFixed(1)} s`,
    );
    out(describeRequests(beforeResync, await requestTally(cluster), apps));
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
}
