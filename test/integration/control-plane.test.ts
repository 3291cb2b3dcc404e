import { describe, expect, inject, it } from 'vitest';
import { eventually, kubeFor, testNamespace } from '../support/kube.js';

interface Deployment {
  metadata: { managedFields?: { manager: string; operation: string }[] };
  spec: {
    revisionHistoryLimit?: number;
    progressDeadlineSeconds?: number;
    strategy?: { type?: string };
    template: {
      spec: {
        containers: { imagePullPolicy?: string; terminationMessagePath?: string }[];
        restartPolicy?: string;
        dnsPolicy?: string;
      };
    };
  };
  status?: { conditions?: { type: string; status: string }[]; readyReplicas?: number };
}

const deployment = (ns: string): object => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: ns },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
    },
  },
});

describe('the local control plane', () => {
  const cp = inject('controlPlane');

  it('applies a Namespace, ConfigMap and Deployment server-side and the Deployment becomes Available on kwok nodes', async () => {
    const kube = await kubeFor(cp.clusters[0]?.kubeconfig ?? '');
    const ns = await testNamespace(kube, 'ssa');
    const nsApply = await kube.apply(
      `/api/v1/namespaces/${ns}`,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: 'platform' } } },
      'ballast',
    );
    expect(nsApply.status).toBe(200);
    const cm = await kube.apply(
      `/api/v1/namespaces/${ns}/configmaps/settings`,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: ns },
        data: { mode: 'fast' },
      },
      'ballast',
    );
    expect(cm.status).toBe(201);
    const dep = await kube.apply(
      `/apis/apps/v1/namespaces/${ns}/deployments/web`,
      deployment(ns),
      'ballast',
    );
    expect(dep.status).toBe(201);

    const live = await kube.json<Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
    // Fields we never sent, defaulted by the real apiserver.
    expect(live.spec.revisionHistoryLimit).toBe(10);
    expect(live.spec.progressDeadlineSeconds).toBe(600);
    expect(live.spec.strategy?.type).toBe('RollingUpdate');
    expect(live.spec.template.spec.restartPolicy).toBe('Always');
    expect(live.spec.template.spec.containers[0]?.terminationMessagePath).toBe(
      '/dev/termination-log',
    );
    expect(
      live.metadata.managedFields?.some((f) => f.manager === 'ballast' && f.operation === 'Apply'),
    ).toBe(true);

    await eventually('Deployment web is Available with 2 ready replicas', 60_000, async () => {
      const d = await kube.json<Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
      const available = d.status?.conditions?.some(
        (c) => c.type === 'Available' && c.status === 'True',
      );
      return available === true && d.status?.readyReplicas === 2;
    });
    const pods = await kube.json<{
      items: { spec: { nodeName?: string }; status: { phase?: string } }[];
    }>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`);
    expect(pods.items).toHaveLength(2);
    for (const p of pods.items) {
      expect(p.status.phase).toBe('Running');
      expect(p.spec.nodeName).toMatch(/^kwok-node-/);
    }
  });

  it('keeps clusters that share one etcd apart: an object made in one is absent in the others', async () => {
    expect(cp.clusters.length).toBeGreaterThanOrEqual(3);
    const kubes = await Promise.all(cp.clusters.slice(0, 3).map((c) => kubeFor(c.kubeconfig)));
    const [one, two, three] = kubes as [
      Awaited<ReturnType<typeof kubeFor>>,
      Awaited<ReturnType<typeof kubeFor>>,
      Awaited<ReturnType<typeof kubeFor>>,
    ];
    const ns = await testNamespace(one, 'isolation');
    const made = await one.post(`/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'only-here' },
      data: { a: 'b' },
    });
    expect(made.status).toBe(201);
    expect((await one.get(`/api/v1/namespaces/${ns}/configmaps/only-here`)).status).toBe(200);
    expect((await two.get(`/api/v1/namespaces/${ns}`)).status).toBe(404);
    expect((await three.get(`/api/v1/namespaces/${ns}`)).status).toBe(404);
    // Each cluster is a full cluster of its own: its own node, its own kube-system.
    for (const k of [two, three]) {
      const nodes = await k.json<{ items: unknown[] }>('/api/v1/nodes');
      expect(nodes.items.length).toBeGreaterThanOrEqual(1);
    }
  });
});
