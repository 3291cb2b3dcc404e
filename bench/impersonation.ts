import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSyncOptions, sync } from '../src/apply/sync.js';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { defaultRenderOptions, render, type RenderedObject } from '../src/render/index.js';
import { cpuSeconds, settle } from './timing.js';

const objects = Number(process.env.BALLAST_BENCH_OBJECTS ?? '1000');
const rounds = Number(process.env.BALLAST_BENCH_ROUNDS ?? '2');

/** ConfigMaps and Deployments (no Services: their IP allocation slows every later run). */
function manifest(i: number): string {
  const name = `imp-${String(i).padStart(4, '0')}`;
  return i % 2 === 0
    ? `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  index: "${i}"\n`
    : `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: 0\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n`;
}

async function rendered(): Promise<readonly RenderedObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-bench-imp-'));
  try {
    await mkdir(join(dir, 'app'));
    await Promise.all(
      Array.from({ length: objects }, (_, i) =>
        writeFile(join(dir, 'app', `o${i}.yaml`), manifest(i)),
      ),
    );
    const r = await render({ repoRoot: dir, path: 'app' }, defaultRenderOptions());
    if (r.kind === 'error') throw r.error;
    return r.objects;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A namespace whose `ballast` ServiceAccount may edit it, as a multi-tenant install expects. */
async function tenantNamespace(cluster: Cluster, ns: string): Promise<void> {
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await cluster.apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'ballast', namespace: ns },
  });
  await cluster.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'ballast-edit', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'ServiceAccount', name: 'ballast', namespace: ns }],
  });
}

/**
 * The price of acting as an Application's ServiceAccount: a cold sync of N objects with the
 * controller's own credentials against the same sync impersonating a ServiceAccount (each
 * request then also authorizes `impersonate`), alternating which goes first, each in a fresh
 * namespace on a settled control plane.
 */
export async function benchImpersonation(): Promise<void> {
  await ensureTools([...controlPlaneTools], (l) => process.stdout.write(l + '\n'));
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-cp-'));
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const kubeconfig = up.state.clusters[0]?.kubeconfig ?? '';
  const daemons = up.state.clusters[0]?.daemons ?? [];
  const controlPlane = [up.state.etcd.daemon.pid, ...daemons.map((d) => d.pid)];
  const apiserver = daemons.find((d) => d.role === 'kube-apiserver')?.pid ?? 0;
  const cluster = Cluster.connect({ kubeconfig });
  const desired = await rendered();
  const measure = async (how: 'own' | 'impersonated', ns: string): Promise<string> => {
    await tenantNamespace(cluster, ns);
    await settle(controlPlane, 180_000);
    const client =
      how === 'own'
        ? cluster
        : cluster.as({ kind: 'serviceAccount', namespace: ns, name: 'ballast' });
    const cpu0 = cpuSeconds(apiserver);
    const t0 = performance.now();
    const r = await sync(
      client,
      { app: { name: 'imp', namespace: ns }, defaultNamespace: ns, objects: desired },
      defaultSyncOptions(),
    );
    const ms = performance.now() - t0;
    if (r.kind !== 'done' || r.errors.length > 0) throw new Error(`${how} sync failed`);
    const cpu = cpuSeconds(apiserver) - cpu0;
    return `${how} ${(ms / 1000).toFixed(2)} s (apiserver ${cpu.toFixed(1)} CPU-s)`;
  };
  try {
    process.stdout.write(`${objects} objects (ConfigMaps, Deployments), cold sync in process:\n`);
    for (let round = 1; round <= rounds; round++) {
      const order =
        round % 2 === 1 ? (['own', 'impersonated'] as const) : (['impersonated', 'own'] as const);
      const lines = [];
      for (const how of order) lines.push(await measure(how, `imp-${how}-${round}`));
      process.stdout.write(`  round ${round}: ${lines.join(', ')}\n`);
    }
  } finally {
    cluster.close();
    await devDown(state);
  }
}
