import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubeObject } from '../../src/api/object.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { assessHealth } from '../../src/health/index.js';
import { runCli } from '../support/cli.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';
import { clusterFor } from '../support/sync.js';
import { tempDirs } from '../support/temp.js';

const brokenImage = 'registry.example/app:broken';
const goodImage = 'registry.example/app:1.0';

interface Container {
  name: string;
  image: string;
}

interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state: { waiting?: { reason?: string }; running?: object; terminated?: { exitCode: number } };
}

interface PodList {
  items: {
    status: { phase?: string; containerStatuses?: ContainerStatus[] };
  }[];
}

/**
 * A one-replica Deployment. The progress deadline is short so that the deployment controller
 * gives up on a rollout that makes no progress within the test (it is 600 s by default).
 */
function deployment(
  name: string,
  containers: Container[],
  progressDeadlineSeconds = 2,
): KubeObject & { spec: object } {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      progressDeadlineSeconds,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers } },
    },
  };
}

const inNs = (ns: string, o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, namespace: ns },
});

const conditionOf = (o: KubeObject | undefined, type: string): Record<string, unknown> => {
  const conditions = (
    o?.['status' as never] as { conditions?: Record<string, unknown>[] } | undefined
  )?.conditions;
  return conditions?.find((c) => c['type'] === type) ?? {};
};

const statusField = (o: KubeObject | undefined, field: string): unknown =>
  (o?.['status' as never] as Record<string, unknown> | undefined)?.[field];

const temp = tempDirs();
let kubeconfig: string;
let cluster: Cluster;
let kube: TestKube;

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  cluster = clusterFor(kubeconfig);
  kube = await kubeFor(kubeconfig);
});
afterAll(async () => {
  cluster.close();
  await temp.removeAll();
});

describe('a Pod of an image tagged :broken on the dev control plane', () => {
  it('never becomes Ready (its container crash-loops), while the same Deployment with a normal image does', async () => {
    const ns = await testNamespace(kube, 'broken');
    const pods = (app: string): Promise<PodList> =>
      kube.json<PodList>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`);
    const get = (name: string): Promise<KubeObject | undefined> =>
      cluster.get(inNs(ns, deployment(name, [])));
    await cluster.apply(inNs(ns, deployment('good', [{ name: 'app', image: goodImage }])));
    // A sidecar of a normal image beside the broken one: any broken container fails the Pod.
    await cluster.apply(
      inNs(
        ns,
        deployment('bad', [
          { name: 'app', image: brokenImage },
          { name: 'sidecar', image: goodImage },
        ]),
      ),
    );

    await eventually('Deployment good has a ready replica', 30_000, async () => {
      return statusField(await get('good'), 'readyReplicas') === 1;
    });
    let statuses: ContainerStatus[] = [];
    await eventually('the Pod of Deployment bad reports its containers', 30_000, async () => {
      statuses = (await pods('bad')).items[0]?.status.containerStatuses ?? [];
      return statuses.length === 2;
    });
    const app = statuses.find((s) => s.name === 'app');
    const sidecar = statuses.find((s) => s.name === 'sidecar');
    expect(app?.ready).toBe(false);
    expect(app?.state.waiting?.reason).toBe('CrashLoopBackOff');
    expect(app?.restartCount).toBeGreaterThan(0);
    expect(sidecar?.ready).toBe(true);
    expect((await pods('bad')).items[0]?.status.phase).toBe('Running');

    // The rollout gives up, and by then no replica of it ever became ready.
    await eventually('Deployment bad exceeds its progress deadline', 30_000, async () => {
      return conditionOf(await get('bad'), 'Progressing')['reason'] === 'ProgressDeadlineExceeded';
    });
    const bad = await get('bad');
    expect(statusField(bad, 'readyReplicas') ?? 0).toBe(0);
    expect(statusField(bad, 'availableReplicas') ?? 0).toBe(0);
    expect(statusField(bad, 'unavailableReplicas')).toBe(1);
    expect(assessHealth(bad).status).toBe('Degraded');
    expect(assessHealth(await get('good')).status).toBe('Healthy');
  });

  it("fails a Job's Pod, so the Job fails instead of completing", async () => {
    const ns = await testNamespace(kube, 'broken-job');
    const job = (name: string, image: string): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: ns },
      spec: {
        backoffLimit: 0,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'task', image }] },
        },
      },
    });
    await cluster.apply(job('good', goodImage));
    await cluster.apply(job('bad', brokenImage));
    await eventually('Job good completes and Job bad fails', 60_000, async () => {
      const good = await cluster.get(job('good', goodImage));
      const bad = await cluster.get(job('bad', brokenImage));
      return (
        conditionOf(good, 'Complete')['status'] === 'True' &&
        conditionOf(bad, 'Failed')['status'] === 'True'
      );
    });
    const bad = await cluster.get(job('bad', brokenImage));
    expect(statusField(bad, 'succeeded') ?? 0).toBe(0);
    expect(statusField(bad, 'failed')).toBe(1);
    expect(assessHealth(bad).status).toBe('Degraded');
  });
});

describe('a bad deploy (an image tagged :broken) synced by Ballast', () => {
  it('makes `ballast sync --wait` report the app Degraded and exit 2 without waiting out its timeout, where the normal image was Healthy', async () => {
    const ns = await testNamespace(kube, 'broken-cli');
    const dir = await temp.make('ballast-broken-');
    const write = (image: string): Promise<void> =>
      writeFile(join(dir, 'web.yaml'), stringify(deployment('web', [{ name: 'web', image }])));
    const sync = (timeout: string): Promise<{ code: number; stdout: string; stderr: string }> =>
      runCli([
        'sync',
        '--dir',
        dir,
        '--app',
        'web',
        '-n',
        ns,
        '--wait',
        '--timeout',
        timeout,
        '--kubeconfig',
        kubeconfig,
      ]);

    await write(goodImage);
    const good = await sync('60s');
    expect(good.stdout).toMatch(/1 created, .*; health: Healthy$/m);
    expect(good.code).toBe(0);

    await write(brokenImage);
    // Degraded ends the wait: a rollout past its progress deadline does not heal by waiting.
    const t0 = performance.now();
    const bad = await sync('10m');
    expect(performance.now() - t0).toBeLessThan(60_000);
    expect(bad.stdout).toMatch(/0 created, 1 configured, .*; health: Degraded \(/);
    expect(bad.stdout).toMatch(
      /Deployment.apps\/[^ ]+\/web: the rollout exceeded its progress deadline/,
    );
    expect(bad.code).toBe(2);
  });

  it('makes the controller report the Application Progressing while the rollout waits, and Degraded once past its deadline', async () => {
    const fx: ControllerFixture = await startControllerFixture({ clusterIndex: 0 });
    const push = async (progressDeadlineSeconds: number, message: string): Promise<void> => {
      const web = deployment('web', [{ name: 'web', image: brokenImage }], progressDeadlineSeconds);
      await fx.repo.writeFile('web/deploy.yaml', stringify(web));
      await fx.repo.commit(message);
      await fx.repo.push();
    };
    try {
      // The default deadline of ten minutes: the rollout is still waiting during the test.
      await push(600, 'deploy web:broken');
      await fx.cluster.apply(fx.application('web', 'web'));
      await eventually('the Pod of web crash-loops', 30_000, async () => {
        const list = await kube.json<PodList>(`/api/v1/namespaces/${fx.ns}/pods`);
        const waiting = list.items[0]?.status.containerStatuses?.[0]?.state.waiting;
        return waiting?.reason === 'CrashLoopBackOff';
      });
      // On kwok the Pod crash-loops within a second, so the Deployment may still be between
      // "0 of 1 replicas updated" and its settled state: wait for that settled state.
      await eventually(
        'Application web is Synced and Progressing, its one replica not available',
        30_000,
        async () => {
          const a = await fx.app('web');
          return (
            a?.status?.sync?.status === 'Synced' &&
            a.status.health?.status === 'Progressing' &&
            /0 of 1 updated replicas available/.test(a.status.health.message)
          );
        },
      );

      // A shorter deadline, long passed: the deployment controller gives up on the rollout.
      await push(2, 'web: progress deadline 2s');
      await fx.cli('app', 'sync', 'web', '-n', fx.ns);
      await eventually('Application web is Degraded', 30_000, async () => {
        return (await fx.app('web'))?.status?.health?.status === 'Degraded';
      });
      const a = await fx.app('web');
      // The sync itself went through; only health says the deploy is bad.
      expect(a?.status?.sync?.status).toBe('Synced');
      expect(a?.status?.health?.message).toMatch(/the rollout exceeded its progress deadline/);
    } finally {
      await fx.stop();
    }
  });
});
