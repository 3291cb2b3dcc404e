import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applicationCrd } from '../src/api/application-crd.js';
import { waitForCrds } from '../src/apply/execute.js';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { ensureTools } from '../src/dev/tools.js';
import { controlPlaneTools } from '../src/dev/versions.js';
import { run } from '../src/exec/run.js';
import { removeTree } from '../src/fs/remove.js';
import {
  Controller,
  defaultControllerOptions,
  managedWatches,
} from '../src/reconcile/controller.js';
import { defaultSourceOptions, GitSource } from '../src/source/source.js';
import { sleep, summary, until } from './timing.js';

const changes = Number(process.env.BALLAST_BENCH_CHANGES ?? '50');

async function gitRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-drift-repo-'));
  await mkdir(join(dir, 'app'));
  await writeFile(
    join(dir, 'app', 'cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tuned\ndata:\n  level: "1"\n',
  );
  const git = (...args: string[]): Promise<unknown> =>
    run(
      'git',
      ['-C', dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args],
      { timeoutMs: 30_000 },
    );
  await git('init', '-q', '-b', 'main');
  await git('add', '.');
  await git('commit', '-qm', 'bench');
  return dir;
}

/**
 * Manual change → reverted (heal) and → reported in status (warn), over N changes made with a
 * merge patch by another field manager, against the in-process controller on a real apiserver.
 */
export async function benchDrift(): Promise<void> {
  await ensureTools(controlPlaneTools, (l) => process.stdout.write(l + '\n'));
  const state = await mkdtemp(join(tmpdir(), 'ballast-bench-drift-'));
  const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
  const cluster = Cluster.connect({ kubeconfig: up.state.clusters[0]?.kubeconfig ?? '' });
  const repo = await gitRepo();
  const cache = await mkdtemp(join(tmpdir(), 'ballast-bench-drift-cache-'));
  const controller = new Controller(
    {
      cluster,
      // The benchmark's repository is a local directory.
      source: new GitSource({ ...defaultSourceOptions(cache), allowFileRepos: true }),
      watches: managedWatches(cluster, () => undefined),
    },
    { ...defaultControllerOptions(), appPollMs: 200 },
  );
  try {
    await waitForCrds(cluster, [await cluster.apply(applicationCrd())], 30_000);
    for (const [name, drift] of [
      ['heal', 'heal'],
      ['warn', 'warn'],
    ] as const) {
      await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      await cluster.apply({
        apiVersion: 'ballast.dev/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: name },
        spec: {
          source: { repoURL: `file://${repo}`, path: 'app' },
          destination: { namespace: name },
          syncPolicy: { automated: { prune: true, selfHeal: true }, drift, interval: '1h' },
        },
      });
    }
    await controller.start();
    const cm = (ns: string): Promise<Record<string, string> | undefined> =>
      cluster
        .get({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tuned', namespace: ns } })
        .then((o) => o?.data as Record<string, string> | undefined);
    await until(
      'the first syncs',
      async () => (await cm('heal'))?.level === '1' && (await cm('warn'))?.level === '1',
      60_000,
    );
    await sleep(2_000);
    const patch = (ns: string, level: string): Promise<unknown> =>
      cluster.http.request(
        'PATCH',
        `/api/v1/namespaces/${ns}/configmaps/tuned?fieldManager=bench-hand`,
        JSON.stringify({ data: { level } }),
        { 'content-type': 'application/merge-patch+json' },
      );
    const reverted: number[] = [];
    for (let i = 0; i < changes; i++) {
      const t0 = performance.now();
      await patch('heal', `changed-${i}`);
      await until('reverted', async () => (await cm('heal'))?.level === '1', 10_000);
      reverted.push(performance.now() - t0);
      await sleep(50);
    }
    const reported: number[] = [];
    for (let i = 0; i < changes; i++) {
      const before = controller.metrics.driftCounts.found;
      const t0 = performance.now();
      await patch('warn', `changed-${i}`);
      await until(
        'drift found',
        () => Promise.resolve(controller.metrics.driftCounts.found > before),
        10_000,
      );
      reported.push(performance.now() - t0);
      await patch('warn', '1');
      await sleep(100);
    }
    process.stdout.write(
      `${changes} manual changes (merge patch by another field manager), polled every 5 ms:\n`,
    );
    process.stdout.write(
      `  change → reverted (heal):            ${summary(reverted)} (goal p95 < 1000 ms)\n`,
    );
    process.stdout.write(`  change → drift detected (warn):       ${summary(reported)}\n`);
  } finally {
    await controller.stop();
    cluster.close();
    await devDown(state);
    await rm(repo, { recursive: true, force: true });
    await removeTree(cache);
  }
}
