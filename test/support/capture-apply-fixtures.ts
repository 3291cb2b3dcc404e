/**
 * Captures the apiserver answers that the unit tests of src/apply (plan, execute, sync) are
 * built on, into src/apply/testdata. Run by hand against a fresh control plane:
 *
 *     npx tsc -p tsconfig.build.json
 *     node dist/src/cli/main.js dev up --state /tmp/capture
 *     node dist/test/support/capture-apply-fixtures.js /tmp/capture/kubeconfig src/apply/testdata
 *
 * Each fixture is one request as the sync makes it and the apiserver's answer, unedited:
 * `{ request: { line, body }, status, body }`, the request's body being the object applied. Errors stay raw Status bodies, so the tests rebuild them with
 * KubeApiError.from exactly as the cluster client does.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/object.js';
import { Cluster } from '../../src/cluster/cluster.js';
import type { HttpResponse } from '../../src/cluster/http.js';
import { toolPath } from '../../src/dev/paths.js';
import { runOrThrow } from '../../src/exec/run.js';
import { TRACKING_LABEL } from '../../src/inventory/index.js';

const [kubeconfig = '', outDir = 'src/apply/testdata'] = process.argv.slice(2);
const cluster = Cluster.connect({ kubeconfig });
const ns = 'shop';
const ours = { [TRACKING_LABEL]: 'ballast-system.shop' };

// Every answer passes through here; the fixture keeps the last one of the step.
interface Seen {
  request: { line: string; body?: unknown };
  response: HttpResponse;
}
const seen: { last?: Seen } = {};
const send = cluster.http.request.bind(cluster.http);
cluster.http.request = async (method, path, body, headers) => {
  const response = await send(method, path, body, headers);
  const line = `${method} ${path}`;
  // The object applied, as the sync sent it; a GET or DELETE sends none worth keeping.
  const request =
    method === 'PATCH' && body !== undefined
      ? { line, body: JSON.parse(body) as unknown }
      : { line };
  seen.last = { request, response };
  return response;
};

const lastSeen = (): typeof seen.last => seen.last;

async function capture(name: string, step: () => Promise<unknown>): Promise<void> {
  delete seen.last;
  await step().catch(() => undefined);
  // Read through a call: the step set it, which the compiler cannot see.
  const got = lastSeen();
  if (got === undefined) throw new Error(`${name}: no request was made`);
  const { request, response } = got;
  const fixture = { request, status: response.status, body: JSON.parse(response.body) as unknown };
  await writeFile(join(outDir, `${name}.json`), JSON.stringify(fixture, null, 2) + '\n');
  process.stdout.write(`${name}: ${request.line} -> ${response.status}\n`);
}

const kubectl = (stdin: string, ...args: string[]): Promise<unknown> =>
  runOrThrow('kubectl', toolPath('kubectl'), ['--kubeconfig', kubeconfig, ...args], { stdin });

const configMap = (name: string, data: Record<string, string>, labels = ours): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels },
  data,
});

const deployment = (image: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'shop', namespace: ns, labels: ours },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'shop' } },
    template: {
      metadata: { labels: { app: 'shop' } },
      spec: {
        containers: [{ name: 'shop', image, envFrom: [{ configMapRef: { name: 'shop' } }] }],
      },
    },
  },
});

const job = (image: string): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'migrate', namespace: ns, labels: ours },
  spec: {
    ttlSecondsAfterFinished: 600,
    template: {
      spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image }] },
    },
  },
});

const crd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com', labels: ours },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    ],
  },
};

await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

// A cold sync: the first two objects are created, the third is refused.
await capture('cold-apply-configmap-201', () =>
  cluster.applyReporting(configMap('shop', { greeting: 'hello' })),
);
await capture('cold-apply-deployment-201', () => cluster.applyReporting(deployment('nginx:1.27')));
await capture('cold-apply-service-422', () =>
  cluster.applyReporting({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'shop', namespace: ns, labels: ours },
    spec: { selector: { app: 'shop' }, ports: [{ port: 0 }] },
  }),
);

// A later sync of the same objects: unchanged, and an image bumped in Git.
await capture('configmap-live', () => cluster.get(configMap('shop', {})));
await capture('deployment-live', () => cluster.get(deployment('nginx:1.27')));
await capture('deployment-dryrun-image-200', () =>
  cluster.apply(deployment('nginx:1.28'), { dryRun: true }),
);

// An object kubectl applied client-side, with the values Git has: only its owners change.
const legacy = configMap('legacy', { mode: 'strict' });
await kubectl(JSON.stringify(legacy), 'apply', '-f', '-');
await capture('configmap-kubectl-live', () => cluster.get(legacy));
await capture('configmap-kubectl-dryrun-200', () => cluster.apply(legacy, { dryRun: true }));

// An object another Application's sync created.
const theirs = configMap(
  'payments',
  { currency: 'EUR' },
  { [TRACKING_LABEL]: 'ballast-system.payments' },
);
await cluster.apply(theirs);
await capture('configmap-other-app-live', () => cluster.get(theirs));

// A Job whose template changed in Git: the apiserver refuses to change it in place.
await cluster.apply(job('migrate:1'));
await capture('job-live', () => cluster.get(job('migrate:1')));
await capture('job-dryrun-immutable-422', () => cluster.apply(job('migrate:2'), { dryRun: true }));

// An object in a namespace that does not exist yet.
await capture('dryrun-namespace-missing-404', () =>
  cluster.apply(
    { ...configMap('shop', {}), metadata: { name: 'shop', namespace: 'shop-next', labels: ours } },
    { dryRun: true },
  ),
);

// A blind sync (nothing read first) meets an object someone created by hand: with the same
// value the apply takes it (200), with another it conflicts (409).
await kubectl('', '-n', ns, 'create', 'configmap', 'existing', '--from-literal=tier=gold');
await capture('blind-apply-existing-200', () =>
  cluster.applyReporting(configMap('existing', { tier: 'gold' }), { force: false }),
);
await capture('blind-apply-conflict-409', () =>
  cluster.applyReporting(configMap('existing', { tier: 'silver' }), { force: false }),
);

// A CRD as its apply answers, and once the apiserver serves its kind.
await capture('crd-apply-201', () => cluster.applyReporting(crd));
for (;;) {
  const got = await cluster.get(crd);
  const conditions = (got?.status as { conditions?: { type: string; status: string }[] })
    .conditions;
  if (conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
  await new Promise((r) => setTimeout(r, 100));
}
await capture('crd-established', () => cluster.get(crd));

// Rolling back: a delete RBAC refuses, and one that succeeds.
const viewer = cluster.as({ kind: 'serviceAccount', namespace: ns, name: 'viewer' });
await capture('delete-forbidden-403', () =>
  viewer.delete({
    group: 'apps',
    kind: 'Deployment',
    namespace: ns,
    name: 'shop',
    apiVersion: 'apps/v1',
  }),
);
await capture('delete-deployment-200', () =>
  cluster.delete(
    { group: 'apps', kind: 'Deployment', namespace: ns, name: 'shop', apiVersion: 'apps/v1' },
    { propagationPolicy: 'Background' },
  ),
);

cluster.close();
