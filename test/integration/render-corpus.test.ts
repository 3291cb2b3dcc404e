import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatRef, refOf } from '../../src/api/object.js';
import {
  defaultRenderOptions,
  render,
  type RendererName,
  type RenderOk,
  type RenderOptions,
} from '../../src/render/index.js';

/** shared/ sits beside the repository checkout, locally and in CI. */
const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

async function rendered(
  repo: string,
  path: string,
  tune: (o: RenderOptions) => void = () => undefined,
): Promise<RenderOk> {
  const options = defaultRenderOptions();
  tune(options);
  const r = await render({ repoRoot: join(corpus, repo), path }, options);
  if (r.kind === 'error') throw r.error;
  return r;
}

/** Every origin names a real file in the case, at a line inside it. */
function expectRealOrigins(repo: string, r: RenderOk): void {
  for (const { origin } of r.objects) {
    expect(existsSync(join(corpus, repo, origin.file)), origin.file).toBe(true);
    expect(origin.line).toBeGreaterThanOrEqual(1);
  }
}

function kinds(r: RenderOk): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { object } of r.objects) counts[object.kind] = (counts[object.kind] ?? 0) + 1;
  return counts;
}

interface Case {
  repo: string;
  path: string;
  renderer: RendererName;
  objects: number;
}

// Counts from shared/corpus/SOURCES.md (kustomize trees: `kubectl kustomize` output there).
const cases: Case[] = [
  { repo: 'microservices-demo', path: 'release', renderer: 'plain', objects: 35 },
  {
    repo: 'ingress-nginx-static',
    path: 'deploy/static/provider/cloud',
    renderer: 'plain',
    objects: 19,
  },
  { repo: 'kube-prometheus', path: 'manifests', renderer: 'plain', objects: 131 },
  { repo: 'argo-cd-install', path: 'manifests', renderer: 'plain', objects: 59 },
  { repo: 'cert-manager-crds', path: 'deploy/crds', renderer: 'plain', objects: 6 },
  { repo: 'bookinfo', path: 'samples/bookinfo/platform/kube', renderer: 'plain', objects: 14 },
  { repo: 'metallb-native', path: 'config/manifests', renderer: 'plain', objects: 26 },
  // kubernetes/examples is three applications (3 + 6 + 2 = the 11 objects SOURCES.md counts).
  { repo: 'kubernetes-examples', path: 'databases/cassandra', renderer: 'plain', objects: 3 },
  { repo: 'kubernetes-examples', path: 'web/guestbook/all-in-one', renderer: 'plain', objects: 6 },
  { repo: 'kubernetes-examples', path: 'web/guestbook-go', renderer: 'plain', objects: 2 },
  { repo: 'kustomize-tree', path: 'manifests/cluster-install', renderer: 'kustomize', objects: 59 },
  {
    repo: 'kustomize-tree',
    path: 'manifests/namespace-install',
    renderer: 'kustomize',
    objects: 50,
  },
  {
    repo: 'kustomize-tree',
    path: 'manifests/ha/cluster-install',
    renderer: 'kustomize',
    objects: 70,
  },
  {
    repo: 'kustomize-tree',
    path: 'manifests/ha/namespace-install',
    renderer: 'kustomize',
    objects: 61,
  },
  ...['release', 'test'].map((o) => ({
    repo: 'kustomize-components',
    path: `manifests/overlays/${o}`,
    renderer: 'kustomize' as const,
    objects: 9,
  })),
  ...['release-ha', 'release-ha-1.21+', 'test-ha'].map((o) => ({
    repo: 'kustomize-components',
    path: `manifests/overlays/${o}`,
    renderer: 'kustomize' as const,
    objects: 10,
  })),
  { repo: 'kustomize-components', path: 'manifests/base', renderer: 'kustomize', objects: 9 },
];

describe('rendering the upstream corpus', () => {
  it.each(cases)('renders $repo/$path with $renderer into $objects objects', async (c) => {
    const r = await rendered(c.repo, c.path);
    expect(r.renderer).toBe(c.renderer);
    expect(r.objects).toHaveLength(c.objects);
    expectRealOrigins(c.repo, r);
  });

  it('expands kube-prometheus Lists (ConfigMapList, RoleList, RoleBindingList) into their items', async () => {
    const r = await rendered('kube-prometheus', 'manifests');
    expect(r.objects.some((o) => o.object.kind.endsWith('List'))).toBe(false);
    const dashboards = r.objects.filter(
      (o) => o.origin.file === 'manifests/grafana-dashboardDefinitions.yaml',
    );
    expect(dashboards).toHaveLength(33);
    // Each item points at its own line inside the one-megabyte List document.
    expect(new Set(dashboards.map((o) => o.origin.line)).size).toBe(33);
    expect(kinds(r)).toMatchObject({
      CustomResourceDefinition: 10,
      ServiceMonitor: 13,
      PrometheusRule: 8,
    });
  });

  it('reads the unquoted `- =` enum value of the alertmanagerconfigs CRD as "="', async () => {
    const r = await rendered('kube-prometheus', 'manifests');
    const crd = r.objects.find(
      (o) => o.object.metadata.name === 'alertmanagerconfigs.monitoring.coreos.com',
    );
    expect(JSON.stringify(crd?.object)).toContain('"enum":["!=","=","=~","!~"]');
  });

  it('trims `kind: Deployment ` in kubernetes/examples and keeps its file:line', async () => {
    const r = await rendered('kubernetes-examples', 'web/guestbook-go');
    const names = r.objects.map(
      (o) => `${formatRef(refOf(o.object))} ${o.origin.file}:${o.origin.line}`,
    );
    expect(names).toEqual([
      'ReplicationController/guestbook web/guestbook-go/guestbook-controller.yaml:1',
      'Deployment.apps/redis-master web/guestbook-go/redis-master-controller.yaml:1',
    ]);
  });

  it('refuses all of kubernetes/examples as one application: two examples define redis-master', async () => {
    const r = await render(
      { repoRoot: join(corpus, 'kubernetes-examples'), path: '' },
      defaultRenderOptions(),
    );
    expect(r.kind === 'error' && r.error.message).toBe(
      'web/guestbook/all-in-one/guestbook-all-in-one.yaml:18: Deployment.apps/redis-master: is defined twice (first at web/guestbook-go/redis-master-controller.yaml:1); remove or rename one of them',
    );
  });

  it('skips the empty document after bookinfo’s trailing ---', async () => {
    const r = await rendered('bookinfo', 'samples/bookinfo/platform/kube');
    expect(r.objects.map((o) => o.origin.line)).toEqual(
      [...r.objects.map((o) => o.origin.line)].sort((a, b) => a - b),
    );
  });
});

describe('kustomize on the corpus', () => {
  it('builds argo-cd cluster-install into exactly the objects of upstream install.yaml', async () => {
    const built = await rendered('kustomize-tree', 'manifests/cluster-install');
    const upstream = await rendered('argo-cd-install', 'manifests');
    expect(built.objects.map((o) => o.object)).toEqual(upstream.objects.map((o) => o.object));
  });

  it('points each object at its source file and line, and leaves no origin annotation behind', async () => {
    const r = await rendered('kustomize-tree', 'manifests/cluster-install');
    const server = r.objects.find(
      (o) => o.object.kind === 'Deployment' && o.object.metadata.name === 'argocd-server',
    );
    expect(server?.origin).toEqual({
      file: 'manifests/base/server/argocd-server-deployment.yaml',
      line: 1,
    });
    const crd = r.objects.find((o) => o.object.metadata.name === 'applicationsets.argoproj.io');
    expect(crd?.origin.file).toBe('manifests/crds/applicationset-crd.yaml');
    for (const { object } of r.objects) {
      expect(object.metadata.annotations?.['config.kubernetes.io/origin']).toBeUndefined();
    }
  });

  it('gives the same objects with and without the origin lookup', async () => {
    const withOrigins = await rendered('kustomize-tree', 'manifests/ha/cluster-install');
    const without = await rendered('kustomize-tree', 'manifests/ha/cluster-install', (o) => {
      o.kustomize.originAnnotations = false;
    });
    expect(without.objects.map((o) => o.object)).toEqual(withOrigins.objects.map((o) => o.object));
    expect(new Set(without.objects.map((o) => o.origin.file))).toEqual(
      new Set(['manifests/ha/cluster-install/kustomization.yaml']),
    );
  });

  it('applies components: the release overlay rewrites the image and the deprecated fields warn', async () => {
    const r = await rendered('kustomize-components', 'manifests/overlays/release');
    const deployment = r.objects.find((o) => o.object.kind === 'Deployment');
    expect(JSON.stringify(deployment?.object)).toContain(
      'registry.k8s.io/metrics-server/metrics-server:v0.9.0',
    );
    const test = await rendered('kustomize-components', 'manifests/overlays/test');
    expect(test.warnings.join('\n')).toMatch(/deprecated/);
  });
});

describe('helm on the corpus', () => {
  const chart = 'charts/ingress-nginx';

  it('renders ingress-nginx with release name ingress-nginx into its namespace', async () => {
    const r = await rendered('helm-ingress-nginx', chart, (o) => {
      o.helm.releaseName = 'ingress-nginx';
      o.helm.namespace = 'ingress-nginx';
    });
    expect(r.renderer).toBe('helm');
    const names = r.objects.map((o) => formatRef(refOf(o.object)));
    expect(names).toContain('Deployment.apps/ingress-nginx/ingress-nginx-controller');
    expect(names).toContain('IngressClass.networking.k8s.io/nginx');
    expect(names).toContain(
      'ValidatingWebhookConfiguration.admissionregistration.k8s.io/ingress-nginx-admission',
    );
    expectRealOrigins('helm-ingress-nginx', r);
    const deployment = r.objects.find((o) => o.object.kind === 'Deployment');
    expect(deployment?.origin.file).toBe(`${chart}/templates/controller-deployment.yaml`);
  });

  it('names the release after the chart directory by default', async () => {
    const r = await rendered('helm-ingress-nginx', chart);
    expect(r.objects.map((o) => o.object.metadata.name)).toContain('ingress-nginx-controller');
  });

  it('applies inline values last, passed on stdin', async () => {
    const r = await rendered('helm-ingress-nginx', chart, (o) => {
      o.helm.valuesFiles = [`${chart}/ci/controller-deployment-values.yaml`];
      o.helm.values = { controller: { replicaCount: 3 } };
    });
    const deployment = r.objects.find((o) => o.object.kind === 'Deployment');
    expect((deployment?.object.spec as { replicas?: unknown }).replicas).toBe(3);
  });

  const ciValues = readdirSync(join(corpus, 'helm-ingress-nginx', chart, 'ci')).sort();
  it.each(ciValues)('renders with the chart’s own ci/%s', async (file) => {
    const r = await rendered('helm-ingress-nginx', chart, (o) => {
      o.helm.valuesFiles = [`${chart}/ci/${file}`];
    });
    expect(r.objects.length).toBeGreaterThan(10);
  });

  it('refuses a values file outside the repository', async () => {
    const options = defaultRenderOptions();
    options.helm.valuesFiles = ['../kube-prometheus/manifests/grafana-config.yaml'];
    const r = await render({ repoRoot: join(corpus, 'helm-ingress-nginx'), path: chart }, options);
    expect(r.kind === 'error' && r.error.reason).toBe('path-escape');
  });
});
