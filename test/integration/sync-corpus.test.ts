import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';
import { clusterFor, corpus, notUnchanged, syncDir, type SyncCase } from '../support/sync.js';

/**
 * Every case in shared/corpus is synced, then diffed: the diff must report every object
 * unchanged. Cases whose cluster-scoped objects collide (see SOURCES.md) go to different
 * clusters, and so do the two that register an unavailable metrics APIService.
 */
interface CorpusCase extends SyncCase {
  cluster: 0 | 1 | 2;
  objects: number;
}

const cases: CorpusCase[] = [
  {
    cluster: 0,
    repoRoot: corpus('microservices-demo'),
    path: 'release',
    app: 'boutique',
    namespace: 'corpus-boutique',
    objects: 35,
  },
  {
    cluster: 0,
    repoRoot: corpus('bookinfo'),
    path: 'samples/bookinfo/platform/kube',
    app: 'bookinfo',
    namespace: 'corpus-bookinfo',
    objects: 14,
  },
  // kubernetes/examples holds separate examples; two of them define the same redis-master.
  {
    cluster: 0,
    repoRoot: corpus('kubernetes-examples'),
    path: 'databases/cassandra',
    app: 'cassandra',
    namespace: 'corpus-cassandra',
    objects: 3,
  },
  {
    cluster: 0,
    repoRoot: corpus('kubernetes-examples'),
    path: 'web/guestbook/all-in-one',
    app: 'guestbook',
    namespace: 'corpus-guestbook',
    objects: 6,
  },
  {
    cluster: 0,
    repoRoot: corpus('kubernetes-examples'),
    path: 'web/guestbook-go',
    app: 'guestbook-go',
    namespace: 'corpus-guestbook-go',
    objects: 2,
  },
  {
    cluster: 0,
    repoRoot: corpus('cert-manager-crds'),
    path: 'deploy/crds',
    app: 'cert-manager-crds',
    namespace: 'corpus-cert-manager',
    objects: 6,
  },
  {
    cluster: 0,
    repoRoot: corpus('metallb-native'),
    path: 'config/manifests',
    app: 'metallb',
    namespace: 'metallb-system',
    objects: 26,
  },
  {
    cluster: 0,
    repoRoot: corpus('ingress-nginx-static'),
    path: 'deploy/static/provider/cloud',
    app: 'ingress-nginx',
    namespace: 'ingress-nginx',
    objects: 19,
  },
  {
    cluster: 0,
    repoRoot: corpus('argo-cd-install'),
    path: 'manifests',
    app: 'argocd',
    namespace: 'argocd',
    objects: 59,
  },
  {
    cluster: 1,
    repoRoot: corpus('kube-prometheus'),
    path: 'manifests',
    app: 'kube-prometheus',
    namespace: 'monitoring',
    objects: 131,
  },
  {
    cluster: 1,
    repoRoot: corpus('helm-ingress-nginx'),
    path: 'charts/ingress-nginx',
    app: 'ingress-nginx',
    namespace: 'ingress-nginx',
    objects: 0,
    tuneRender: (o) => {
      o.helm.releaseName = 'ingress-nginx';
    },
  },
  {
    cluster: 1,
    repoRoot: corpus('kustomize-tree'),
    path: 'manifests/cluster-install',
    app: 'argocd',
    namespace: 'argocd',
    objects: 59,
  },
  {
    cluster: 2,
    repoRoot: corpus('kustomize-tree'),
    path: 'manifests/ha/cluster-install',
    app: 'argocd-ha',
    namespace: 'argocd',
    objects: 70,
  },
  {
    cluster: 2,
    repoRoot: corpus('kustomize-components'),
    path: 'manifests/overlays/release',
    app: 'metrics-server',
    namespace: 'kube-system',
    objects: 9,
  },
];

describe('corpus: sync, then diff as unchanged', () => {
  const cp = inject('controlPlane');
  const clusters: Cluster[] = cp.clusters.map((c) => clusterFor(c.kubeconfig));
  afterAll(() => {
    for (const c of clusters) c.close();
  });

  it.each(cases.map((c) => [`${c.app} (${c.path}) on cluster-${c.cluster + 1}`, c] as const))(
    'syncs %s cleanly and then diffs it as unchanged',
    async (_name, c) => {
      const cluster = clusters[c.cluster] as Cluster;
      await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.namespace } });
      const first = await syncDir(cluster, c);
      expect(first.errors.map((e) => e.message)).toEqual([]);
      if (c.objects > 0) expect(first.changeSet.entries).toHaveLength(c.objects);
      const second = await syncDir(cluster, c, { dryRun: true });
      expect(notUnchanged(second)).toEqual([]);
    },
  );
});
