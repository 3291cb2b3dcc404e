import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applicationCrd } from '../src/api/application-crd.js';
import { waitForCrds } from '../src/apply/execute.js';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { createBareRepo, startGitServer, WorkingClone } from '../src/dev/git/index.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { removeTree } from '../src/fs/remove.js';
import {
  Controller,
  defaultControllerOptions,
  managedWatches,
} from '../src/reconcile/controller.js';
import { defaultSourceOptions, GitSource } from '../src/source/source.js';
import { sleep, summary, until } from './timing.js';

const pushes = Number(process.env.BALLAST_BENCH_PUSHES ?? '30');
const objects = 100;
const ns = 'hooked';

const configMap = (i: number, rev: number): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${String(i).padStart(3, '0')}\ndata:\n  rev: "${rev}"\n`;

/**
 * Commit pushed → applied, through the generic webhook: an Application of 100 ConfigMaps
 * served by the real Git server over HTTP, and N pushes that each change one of them. Each is
 * timed from the end of `git push` to the changed value being live. The poll interval is an
 * hour, so only the webhook can bring the change in.
 */
export async function benchWebhook(): Promise<void> {
  await ensureTools(controlPlaneTools, (l) => process.stdout.write(l + '\n'));
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-hook-'));
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const cluster = Cluster.connect({ kubeconfig: up.state.clusters[0]?.kubeconfig ?? '' });
  const server = await startGitServer({
    auth: { users: [], tokens: [] },
    allowPush: true,
    ssh: false,
  });
  const cache = await mkdtemp(join(tmpdir(), 'ballast-bench-hook-cache-'));
  const secret = randomBytes(16).toString('hex');
  const controller = new Controller(
    {
      cluster,
      source: new GitSource(defaultSourceOptions(cache)),
      watches: managedWatches(cluster, () => undefined),
    },
    { ...defaultControllerOptions(), httpPort: 0, webhookSecret: secret },
  );
  let repo: WorkingClone | undefined;
  try {
    await createBareRepo(server, 'hooked');
    const repoURL = server.httpUrl('hooked');
    repo = await WorkingClone.clone({ url: repoURL, access: { kind: 'anonymous' } });
    for (let i = 0; i < objects; i++) await repo.writeFile(`app/cm-${i}.yaml`, configMap(i, 0));
    await repo.commit('100 objects');
    await repo.push();
    await waitForCrds(cluster, [await cluster.apply(applicationCrd())], 30_000);
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await cluster.apply({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'hooked', namespace: ns },
      spec: {
        source: { repoURL, targetRevision: 'main', path: 'app' },
        destination: { namespace: ns },
        syncPolicy: { automated: { prune: true, selfHeal: true }, interval: '1h' },
      },
    });
    const { port } = await controller.start();
    const rev = async (i: number): Promise<string | undefined> => {
      const name = `cm-${String(i).padStart(3, '0')}`;
      const live = await cluster.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: ns },
      });
      return (live?.data as Record<string, string> | undefined)?.['rev'];
    };
    await until('the first sync', async () => (await rev(objects - 1)) === '0', 120_000);
    await sleep(2_000);
    const body = JSON.stringify({ repoURL });
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const applied: number[] = [];
    for (let n = 1; n <= pushes; n++) {
      const i = (n * 37) % objects;
      await repo.writeFile(`app/cm-${i}.yaml`, configMap(i, n));
      await repo.commit(`rev ${n}`);
      await repo.push();
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${String(port)}/hooks/generic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ballast-signature': signature },
        body,
      });
      if (!r.ok) throw new Error(`webhook answered ${r.status}: ${await r.text()}`);
      await until(`push ${n} applied`, async () => (await rev(i)) === String(n), 30_000);
      applied.push(performance.now() - t0);
      await sleep(200);
    }
    process.stdout.write(
      `${pushes} pushes, each changing 1 of ${objects} objects, through POST /hooks/generic:\n` +
        `  push → applied: ${summary(applied)} (goal p95 < 2000 ms)\n`,
    );
  } finally {
    await controller.stop();
    cluster.close();
    await repo?.remove();
    await server.stop();
    await devDown(state);
    await rm(state, { recursive: true, force: true });
    await removeTree(cache);
  }
}
