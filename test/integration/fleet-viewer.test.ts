import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { fleetViewerName, fleetViewerRole } from '../../src/fleet/hub/index.js';
import { clusterNamespace, type AssignmentStatus } from '../../src/fleet/index.js';
import { sha1 } from '../../src/fleet/testdata/fixtures.js';
import { runCli } from '../support/cli.js';
import {
  assign,
  createCluster,
  createFleetApp,
  installFleetCrds,
  serviceAccountKubeconfig,
} from '../support/fleet-hub.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

/*
 * The hub's objects are written by hand, as the hub and the agents would write them; an
 * operator bound to the ClusterRole `ballast install --hub` installs reads them.
 */

const id = randomBytes(3).toString('hex');
const stores = ['store-1', 'store-2'].map((s) => `view${id}-${s}`);
const api = '/apis/ballast.dev/v1alpha1';

let kube: TestKube;
let kubeconfig: string;
let fleetNs: string;
let viewerNs: string;
const bindingName = `ballast-fleet-viewer-${id}`;
const temp = tempDirs();

const synced: AssignmentStatus = {
  sync: { status: 'Synced', revision: sha1 },
  health: { status: 'Healthy', message: '' },
  lastSyncedRevision: sha1,
};

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  kube = await kubeFor(kubeconfig);
  await installFleetCrds(kube);
  fleetNs = await testNamespace(kube, 'fleet-viewer');
  viewerNs = await testNamespace(kube, 'fleet-operator');
  const app = await createFleetApp(kube, fleetNs, { observedGeneration: 1, revision: sha1 });
  for (const name of stores) {
    await createCluster(kube, fleetNs, { name, labels: { tier: 'store' }, status: {} });
    await assign(kube, { app, cluster: name, revision: sha1, status: synced });
  }
  const role = fleetViewerRole();
  const path = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role.metadata.name}`;
  const applied = await kube.apply(path, role, 'ballast');
  expect(applied.status, applied.body).toBeLessThan(300);
  const bound = await kube.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: bindingName },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: fleetViewerName },
    subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: viewerNs }],
  });
  expect(bound.status, bound.body).toBe(201);
}, 120_000);

afterAll(async () => {
  await kube.del(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${bindingName}`);
  for (const ns of [fleetNs, viewerNs, ...stores.map(clusterNamespace)])
    await kube.del(`/api/v1/namespaces/${ns}`);
  await temp.removeAll();
});

describe('the ballast-fleet-viewer ClusterRole', () => {
  it("lets an operator run fleet status (every cluster's row) and fleet clusters, and the apiserver refuses its writes", async () => {
    const viewer = await serviceAccountKubeconfig(kube, {
      adminKubeconfig: kubeconfig,
      namespace: viewerNs,
      rules: [],
      dir: await temp.make('ballast-fleet-viewer-'),
    });
    const asViewer = Cluster.connect({ kubeconfig: viewer });
    try {
      // The apiserver's RBAC authorizer learns of the new binding from a watch, a moment later.
      await eventually('the viewer may list Clusters', 10_000, async () => {
        const r = await asViewer.http.request('GET', `${api}/namespaces/${fleetNs}/clusters`);
        return r.status === 200;
      });
      const as = ['--kubeconfig', viewer, '--fleet-namespace', fleetNs];
      const status = await runCli(['fleet', 'status', 'pos', '-n', fleetNs, ...as]);
      expect([status.code, status.stderr]).toEqual([0, '']);
      // Read from each cluster's Assignment, not from the aggregate a tenant falls back to.
      expect(status.stdout).not.toContain("From the FleetApplication's status");
      const rows = status.stdout.trimEnd().split('\n');
      expect(rows[0]).toMatch(/^CLUSTER\s+SYNC\s+HEALTH\s+REVISION\s+MESSAGE$/);
      for (const store of stores)
        expect(rows).toContainEqual(
          expect.stringMatching(new RegExp(`^${store}\\s+Synced\\s+Healthy`)),
        );
      const clusters = await runCli(['fleet', 'clusters', ...as]);
      expect([clusters.code, clusters.stderr]).toEqual([0, '']);
      for (const store of stores) expect(clusters.stdout).toContain(store);

      const [first] = stores as [string];
      const assignment = `${api}/namespaces/${clusterNamespace(first)}/assignments/${fleetNs}.pos`;
      const patch = { 'content-type': 'application/merge-patch+json' };
      const refused = [
        ['PATCH', `${api}/namespaces/${fleetNs}/fleetapplications/pos`, patch],
        ['PATCH', `${assignment}/status`, patch],
        ['PATCH', `${api}/namespaces/${fleetNs}/clusters/${first}`, patch],
        ['DELETE', assignment, {}],
        ['GET', `/api/v1/namespaces/${fleetNs}/secrets`, {}],
      ] as const;
      for (const [method, path, headers] of refused) {
        const body = method === 'PATCH' ? '{"metadata":{"labels":{"x":"y"}}}' : undefined;
        const r = await asViewer.http.request(method, path, body, headers);
        expect(r.status, `${method} ${path}`).toBe(403);
      }
      // The refusals are RBAC's, not a missing object's: the admin reaches the same Assignment.
      expect((await kube.get(assignment)).status).toBe(200);
    } finally {
      asViewer.close();
    }
  });
});
