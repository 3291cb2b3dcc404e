import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { kubeRequest, type KubeResponse } from '../../src/dev/kube.js';
import {
  buildAssignment,
  clusterNamespace,
  fleetCrds,
  type AssignmentStatus,
  type ClusterStatus,
  type FleetApplication,
  type FleetApplicationStatus,
} from '../../src/fleet/index.js';
import { cluster as clusterFixture, fleetApp } from '../../src/fleet/testdata/fixtures.js';
import { eventually, type TestKube } from './kube.js';

/**
 * A hub's objects written by hand, statuses included, as the hub controller and the agents
 * would write them: for tests of what reads the hub, without running either.
 */

const base = (ns: string): string => `/apis/ballast.dev/v1alpha1/namespaces/${ns}`;

/** The body of a response with one of the `expected` statuses; else an error naming `what`. */
async function must(
  what: string,
  r: Promise<KubeResponse>,
  ...expected: number[]
): Promise<{ metadata: { generation?: number } }> {
  const res = await r;
  if (!expected.includes(res.status)) throw new Error(`${what}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as { metadata: { generation?: number } };
}

/** Merges `status` into an object's status subresource, as its writer would. */
export async function writeStatus(kube: TestKube, path: string, status: object): Promise<void> {
  await must(
    `status of ${path}`,
    kubeRequest(
      kube.ep,
      'PATCH',
      `${path}/status`,
      { status },
      {
        contentType: 'application/merge-patch+json',
      },
    ),
    200,
  );
}

/** Applies the fleet CRDs and waits until the apiserver serves them. */
export async function installFleetCrds(kube: TestKube): Promise<void> {
  for (const crd of fleetCrds()) {
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
    await must(crd.metadata.name, kube.apply(path, crd, 'ballast'), 200, 201);
    await eventually(`${crd.metadata.name} is Established`, 30_000, async () => {
      const c = await kube.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
        path,
      );
      return (
        c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ?? false
      );
    });
  }
}

/** A Cluster in `fleetNs` with these labels and this status, and its hub namespace. */
export async function createCluster(
  kube: TestKube,
  fleetNs: string,
  cluster: { name: string; labels: Record<string, string>; status: ClusterStatus },
): Promise<void> {
  const { name, labels, status } = cluster;
  await must(
    `namespace of ${name}`,
    kube.post('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: clusterNamespace(name) },
    }),
    201,
  );
  await must(
    `Cluster ${name}`,
    kube.post(`${base(fleetNs)}/clusters`, {
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels },
    }),
    201,
  );
  await writeStatus(kube, `${base(fleetNs)}/clusters/${name}`, status);
}

/** The fixture FleetApplication `pos` in `ns`, with this status as the hub would write it. */
export async function createFleetApp(
  kube: TestKube,
  ns: string,
  status: FleetApplicationStatus,
): Promise<FleetApplication> {
  const app = fleetApp({}, { namespace: ns, uid: undefined, generation: undefined });
  await must(`FleetApplication ${ns}/pos`, kube.post(`${base(ns)}/fleetapplications`, app), 201);
  await writeStatus(kube, `${base(ns)}/fleetapplications/pos`, status);
  return app;
}

/**
 * The Assignment the hub would write of `app` for `cluster`, pinned to `revision`, and the
 * status its agent would report for that generation, if any.
 */
export async function assign(
  kube: TestKube,
  a: { app: FleetApplication; cluster: string; revision: string; status?: AssignmentStatus },
): Promise<void> {
  const assignment = buildAssignment({
    fleetApplication: a.app,
    cluster: clusterFixture(a.cluster),
    revision: a.revision,
    variables: {},
  });
  const ns = clusterNamespace(a.cluster);
  const name = assignment.metadata.name;
  const created = await must(
    `Assignment ${ns}/${name}`,
    kube.post(`${base(ns)}/assignments`, assignment),
    201,
  );
  if (a.status !== undefined)
    await writeStatus(kube, `${base(ns)}/assignments/${name}`, {
      ...a.status,
      observedGeneration: created.metadata.generation,
    });
}

/**
 * A kubeconfig in `dir` for the default ServiceAccount of `ns`, granted only `rules` there:
 * someone who is not the hub's operator.
 */
export async function serviceAccountKubeconfig(
  kube: TestKube,
  opts: { adminKubeconfig: string; namespace: string; rules: object[]; dir: string },
): Promise<string> {
  const ns = opts.namespace;
  const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}`;
  const meta = { name: 'fleet-cli-test' };
  await must(
    'Role',
    kube.post(`${rbac}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta,
      rules: opts.rules,
    }),
    201,
  );
  await must(
    'RoleBinding',
    kube.post(`${rbac}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: meta.name },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
    }),
    201,
  );
  const request = await must(
    'TokenRequest',
    kube.post(`/api/v1/namespaces/${ns}/serviceaccounts/default/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    }),
    201,
  );
  const { token } = (request as unknown as { status: { token: string } }).status;
  const admin = parse(await readFile(opts.adminKubeconfig, 'utf8')) as {
    clusters: { cluster: object }[];
  };
  const file = join(opts.dir, 'kubeconfig');
  const context = { cluster: 'hub', user: 'sa', namespace: ns };
  await writeFile(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'hub', cluster: admin.clusters[0]?.cluster }],
      users: [{ name: 'sa', user: { token } }],
      contexts: [{ name: 'sa', context }],
      'current-context': 'sa',
    }),
    { mode: 0o600 },
  );
  return file;
}
