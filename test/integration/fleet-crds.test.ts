import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import { kubeRequest } from '../../src/dev/kube.js';
import { aggregateFleetStatus } from '../../src/fleet/aggregate.js';
import { parseAssignment } from '../../src/fleet/assignment.js';
import { buildAssignment } from '../../src/fleet/assignment-build.js';
import { parseCluster } from '../../src/fleet/cluster.js';
import { fleetCrds } from '../../src/fleet/crds.js';
import { parseFleetApplication } from '../../src/fleet/fleet-application.js';
import { cluster, fleetApp, sha1 } from '../../src/fleet/testdata/fixtures.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';

const crdPath = (name: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;

async function installCrds(kube: TestKube): Promise<void> {
  for (const crd of fleetCrds()) {
    const r = await kube.apply(crdPath(crd.metadata.name), crd, 'ballast');
    expect([200, 201], r.body).toContain(r.status);
  }
  for (const crd of fleetCrds())
    await eventually(`${crd.metadata.name} is Established`, 30_000, async () => {
      const c = await kube.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
        crdPath(crd.metadata.name),
      );
      return (
        c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ?? false
      );
    });
}

const rawFleetApp = {
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'FleetApplication',
  metadata: { name: 'pos' },
  spec: {
    template: {
      source: { repoURL: 'https://git.example.com/pos.git', path: 'deploy' },
      destination: { namespace: 'pos' },
    },
    placement: { clusterSelector: { matchLabels: { tier: 'store' } } },
    values: [{ clusterSelector: { matchLabels: { tier: 'store' } }, variables: { x: '1' } }],
  },
};

describe('the fleet CRDs on a real apiserver', () => {
  const cp = inject('controlPlane');

  it('are accepted, default as the parsers do, hold what the hub builds and refuse what the parsers refuse', async () => {
    const kubeconfig = cp.clusters[0]?.kubeconfig ?? '';
    const kube = await kubeFor(kubeconfig);
    await installCrds(kube);
    const ns = await testNamespace(kube, 'fleet');
    const base = `/apis/ballast.dev/v1alpha1/namespaces/${ns}`;

    const c = {
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'store-1' },
    };
    let r = await kube.post(`${base}/clusters`, c);
    expect(r.status, r.body).toBe(201);
    const storedCluster = parseCluster(JSON.parse(r.body), { unknownFields: 'drop' });
    expect(storedCluster.kind === 'ok' && storedCluster.value.spec).toEqual({
      heartbeatTimeout: '60s',
    });

    // The root CEL rule refuses what parseCluster refuses. (A rule's fieldPath cannot name
    // metadata.name, which the schema does not describe, so the message says it is the name.)
    r = await kube.post(`${base}/clusters`, { ...c, metadata: { name: 'a'.repeat(48) } });
    expect(r.status).toBe(422);
    expect(r.body).toContain("a Cluster's name is");
    expect(r.body).toContain('a DNS label of at most 47 characters');

    r = await kube.post(`${base}/fleetapplications`, rawFleetApp);
    expect(r.status, r.body).toBe(201);
    const stored = parseFleetApplication(JSON.parse(r.body), { unknownFields: 'drop' });
    expect(stored.kind).toBe('ok');
    const expected = fleetApp({ values: rawFleetApp.spec.values }, { namespace: ns });
    expect((JSON.parse(r.body) as { spec: unknown }).spec).toEqual(expected.spec);

    const withCluster = structuredClone(rawFleetApp);
    (withCluster.spec.template.destination as Record<string, unknown>)['cluster'] = 'store-2';
    withCluster.metadata.name = 'pos-2';
    r = await kube.post(`${base}/fleetapplications?fieldValidation=Strict`, withCluster);
    expect(r.status).toBe(400);
    expect(r.body).toContain('unknown field \\"spec.template.destination.cluster\\"');

    const current = JSON.parse((await kube.get(`${base}/fleetapplications/pos`)).body) as object;
    const agg = aggregateFleetStatus({
      selected: ['store-1'],
      assignments: [],
      missing: ['store-9'],
    });
    const status = { observedGeneration: 1, revision: sha1, ...agg };
    r = await kubeRequest(kube.ep, 'PUT', `${base}/fleetapplications/pos/status`, {
      ...current,
      status,
    });
    expect(r.status, r.body).toBe(200);
    expect((JSON.parse(r.body) as { status: unknown }).status).toEqual(status);

    const long = { ...expected, metadata: { ...expected.metadata, name: 'p'.repeat(250) } };
    const a = buildAssignment({
      fleetApplication: long,
      cluster: cluster('store-1'),
      revision: sha1,
      variables: { cluster_name: 'store-1' },
    });
    expect(a.metadata.name).toHaveLength(253);
    r = await kube.post(`${base}/assignments`, {
      ...a,
      metadata: { ...a.metadata, namespace: ns },
    });
    expect(r.status, r.body).toBe(201);
    expect(parseAssignment(JSON.parse(r.body), { unknownFields: 'drop' }).kind).toBe('ok');

    const kubectl = (...args: string[]): string =>
      execFileSync(
        `${homedir()}/.cache/ballast/bin/kubectl-v1.36.3/kubectl`,
        ['--kubeconfig', kubeconfig, '-n', ns, ...args],
        { encoding: 'utf8' },
      );
    const header = (kind: string): string[] =>
      kubectl('get', kind).split('\n')[0]?.split(/\s+/) ?? [];
    expect(header('clusters')).toEqual([
      'NAME',
      'READY',
      'AGENT',
      'K8S',
      'LAST-SEEN',
      'APPS',
      'AGE',
    ]);
    expect(header('fleetapplications')).toEqual([
      'NAME',
      'CLUSTERS',
      'SYNCED',
      'HEALTHY',
      'REVISION',
      'ROLLOUT',
      'READY',
      'AGE',
    ]);
    expect(kubectl('get', 'fleetapp', 'pos', '--no-headers').split(/\s+/).slice(0, 5)).toEqual([
      'pos',
      '1',
      '0',
      '0',
      sha1,
    ]);
    expect(header('assignments')).toEqual(['NAME', 'CLUSTER', 'SYNC', 'HEALTH', 'REVISION', 'AGE']);
  });
});
