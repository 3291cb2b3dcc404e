import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseApplication } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { KubeApiError } from '../../src/cluster/errors.js';
import { repoRoot, toolPath } from '../../src/dev/paths.js';
import { run, type RunResult } from '../../src/exec/run.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';
import { defaultHubInstallOptions, hubInstallManifests } from '../../src/cli/install-hub.js';
import { kubectlName } from '../../src/cli/install.js';

// cluster-3: installing a cluster-wide CRD and ClusterRoles stays out of other suites' way.
const cli = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
const sha = '6c1f0e2b9d7a4c3e8f5b1a2d6e9c0f7b3a4d5e6f';
let kubeconfig: string;
let cluster: Cluster;
let kube: TestKube;
let ns: string;

const text = (r: RunResult): string =>
  r.kind === 'ok' ? r.stdout.toString('utf8') : `${r.kind}: ${JSON.stringify(r)}`;

async function ballast(...args: string[]): Promise<string> {
  const r = await run(process.execPath, [cli, ...args], { timeoutMs: 120_000 });
  if (r.kind !== 'ok') throw new Error(`ballast ${args.join(' ')}: ${text(r)}`);
  return r.stdout.toString('utf8');
}

async function kubectl(stdin: string, ...args: string[]): Promise<string> {
  const r = await run(toolPath('kubectl'), args, {
    env: { KUBECONFIG: kubeconfig },
    timeoutMs: 60_000,
    stdin,
  });
  if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${text(r)}`);
  return r.stdout.toString('utf8');
}

const application = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: ns },
  spec: {
    source: { repoURL: 'https://git.example.com/platform/fleet.git' },
    destination: { namespace: ns },
    ...spec,
  },
});

const installed = [
  'customresourcedefinition.apiextensions.k8s.io/applications.ballast.dev serverside-applied',
  'customresourcedefinition.apiextensions.k8s.io/notificationpolicies.ballast.dev serverside-applied',
  'validatingadmissionpolicy.admissionregistration.k8s.io/ballast-requested-by serverside-applied',
  'validatingadmissionpolicybinding.admissionregistration.k8s.io/ballast-requested-by serverside-applied',
  'namespace/ballast-system serverside-applied',
  'serviceaccount/ballast-controller serverside-applied',
  'clusterrole.rbac.authorization.k8s.io/ballast-controller serverside-applied',
  'clusterrole.rbac.authorization.k8s.io/ballast-applier serverside-applied',
  'clusterrolebinding.rbac.authorization.k8s.io/ballast-controller serverside-applied',
  'clusterrolebinding.rbac.authorization.k8s.io/ballast-applier serverside-applied',
  'role.rbac.authorization.k8s.io/ballast-leader-election serverside-applied',
  'rolebinding.rbac.authorization.k8s.io/ballast-leader-election serverside-applied',
  'role.rbac.authorization.k8s.io/ballast-ledger-checkpoint serverside-applied',
  'rolebinding.rbac.authorization.k8s.io/ballast-ledger-checkpoint serverside-applied',
  'role.rbac.authorization.k8s.io/ballast-sealing-keys serverside-applied',
  'rolebinding.rbac.authorization.k8s.io/ballast-sealing-keys serverside-applied',
  'service/ballast-controller serverside-applied',
  'statefulset.apps/ballast-controller serverside-applied',
];

/**
 * The dev clusters have no volume provisioner: one PersistentVolume per controller replica,
 * bound ahead to the claim its StatefulSet will make, stands in for one.
 */
const ledgerVolume = (replica: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: `ballast-ledger-test-${replica}` },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    hostPath: { path: `/var/lib/ballast-test-${replica}` },
    claimRef: { namespace: 'ballast-system', name: `ledger-ballast-controller-${replica}` },
  },
});

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[2]?.kubeconfig ?? '';
  kube = await kubeFor(kubeconfig);
  ns = await testNamespace(kube, 'install');
  // Before the CRD exists, so the Cluster's discovery must be refreshed after install.
  cluster = Cluster.connect({ kubeconfig });
  for (const replica of [0, 1]) await cluster.apply(ledgerVolume(replica));
});
afterAll(async () => {
  cluster.close();
  await kube.del(`/api/v1/namespaces/${ns}`);
});

describe('ballast install', () => {
  it('applies the CRDs first, waits until they are Established, then RBAC and the controller, twice without error', async () => {
    // The ledger's signing key is made once and kept: a new one would orphan its checkpoints.
    for (const key of ['created', 'kept']) {
      const out = await ballast('install', '--kubeconfig', kubeconfig);
      expect(out.trim().split('\n')).toEqual([
        ...installed,
        `secret/ballast-ledger-signing-key ${key}`,
      ]);
    }
    const crd = await kube.json<{ status: { conditions: { type: string; status: string }[] } }>(
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/applications.ballast.dev',
    );
    const conditions = Object.fromEntries(crd.status.conditions.map((c) => [c.type, c.status]));
    expect(conditions).toMatchObject({ Established: 'True', NamesAccepted: 'True' });
    // A non-structural schema would still be served, but flagged by this condition.
    expect(conditions).not.toHaveProperty('NonStructuralSchema');
    await cluster.discovery.refresh();
  });

  it('prints YAML that kubectl applies as it is', async () => {
    const yaml = await ballast('install', '--print');
    const out = await kubectl(
      yaml,
      'apply',
      '--server-side',
      '--dry-run=server',
      '--force-conflicts',
      '-f',
      '-',
    );
    expect(out).toContain(
      'customresourcedefinition.apiextensions.k8s.io/applications.ballast.dev serverside-applied (server dry run)',
    );
    expect(out).toContain(
      'statefulset.apps/ballast-controller serverside-applied (server dry run)',
    );
  });

  it('runs two controller pods that pass the restricted Pod Security Standard the namespace enforces, each with its own ledger volume', async () => {
    await eventually(
      'StatefulSet ballast-controller has 2 available replicas',
      90_000,
      async () => {
        const d = await kube.json<{ status?: { availableReplicas?: number } }>(
          '/apis/apps/v1/namespaces/ballast-system/statefulsets/ballast-controller',
        );
        return d.status?.availableReplicas === 2;
      },
    );
    for (const replica of [0, 1]) {
      const claim = await kube.json<{ status?: { phase?: string } }>(
        `/api/v1/namespaces/ballast-system/persistentvolumeclaims/ledger-ballast-controller-${replica}`,
      );
      expect(claim.status?.phase).toBe('Bound');
    }
  });

  it("refuses, in the apiserver, a tenant's write that names someone else as who requested a sync or a rollback", async () => {
    const tenant = { kind: 'serviceAccount' as const, namespace: ns, name: 'tenant' };
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'tenant', namespace: ns },
    });
    await cluster.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'apps', namespace: ns },
      rules: [{ apiGroups: ['ballast.dev'], resources: ['applications'], verbs: ['*'] }],
    });
    await cluster.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'apps', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'apps' },
      subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: ns }],
    });
    const asTenant = cluster.as(tenant);
    const me = `system:serviceaccount:${ns}:tenant`;
    const forged = (by: string, spec: Record<string, unknown> = {}): KubeObject => {
      const a = application('forged', spec);
      return {
        ...a,
        metadata: {
          ...a.metadata,
          annotations: { 'ballast.dev/requested-by': by, 'ballast.dev/sync': 'now' },
        },
      };
    };
    // The apiserver's RBAC authorizer learns of the new RoleBinding from a watch, a moment later.
    await eventually('the tenant may write Applications', 10_000, () =>
      asTenant.apply(forged(me), { dryRun: true }).then(
        () => true,
        () => false,
      ),
    );
    const refusal = await asTenant.apply(forged('kubernetes-admin')).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(KubeApiError);
    expect((refusal as KubeApiError).apiMessage).toContain(
      `must name whoever makes this request (${me})`,
    );
    const rollback = {
      rollback: {
        revision: sha,
        reason: 'x',
        requestedBy: 'kubernetes-admin',
        requestedAt: '2026-12-07T00:00:00Z',
      },
    };
    const refusedRollback = await asTenant.apply(forged(me, rollback)).catch((e: unknown) => e);
    expect((refusedRollback as KubeApiError).apiMessage).toContain(
      'spec.rollback.requestedBy must name',
    );
    // Naming oneself is what `ballast app sync` and `ballast app rollback` do: accepted.
    const own = { rollback: { ...rollback.rollback, requestedBy: me } };
    const stored = await asTenant.apply(forged(me, own));
    expect(stored.metadata.annotations?.['ballast.dev/requested-by']).toBe(me);
  });
});

describe('ballast install --hub', () => {
  afterAll(async () => {
    await kube.del('/api/v1/namespaces/ballast-fleet');
  });

  it('applies the fleet CRDs and RBAC, then a Deployment of `ballast hub` whose Pod passes the restricted standard the fleet namespace enforces, twice without error', async () => {
    const expected = hubInstallManifests(defaultHubInstallOptions()).map(
      (o) => `${kubectlName(o)} serverside-applied`,
    );
    expect(expected.at(-1)).toBe('deployment.apps/ballast-hub serverside-applied');
    for (let i = 0; i < 2; i++) {
      const out = await ballast('install', '--hub', '--replicas', '1', '--kubeconfig', kubeconfig);
      expect(out.trim().split('\n')).toEqual(expected);
    }
    await eventually('Deployment ballast-hub has 1 available replica', 90_000, async () => {
      const d = await kube.json<{ status?: { availableReplicas?: number } }>(
        '/apis/apps/v1/namespaces/ballast-fleet/deployments/ballast-hub',
      );
      return d.status?.availableReplicas === 1;
    });
  });

  it('with --notification-allowed-url, lets the hub read policies and act as ballast-notify in a tenant namespace, but not as another account, and read no Secret', async () => {
    const url = 'https://hooks.example/fleet/';
    const out = await ballast(
      ...['install', '--hub', '--replicas', '0', '--notification-allowed-url', url],
      ...['--kubeconfig', kubeconfig],
    );
    expect(out).toContain('clusterrole.rbac.authorization.k8s.io/ballast-hub-notifications');
    const hubUser = 'system:serviceaccount:ballast-fleet:ballast-hub';
    const may = async (attributes: Record<string, string>): Promise<boolean> => {
      const r = await kube.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: hubUser, resourceAttributes: attributes },
      });
      return (JSON.parse(r.body) as { status?: { allowed?: boolean } }).status?.allowed === true;
    };
    const tenant = 'team-a';
    expect(
      await may({ group: 'ballast.dev', resource: 'notificationpolicies', verb: 'watch' }),
    ).toBe(true);
    const impersonate = (name: string) => ({
      resource: 'serviceaccounts',
      verb: 'impersonate',
      namespace: tenant,
      name,
    });
    expect(await may(impersonate('ballast-notify'))).toBe(true);
    expect(await may(impersonate('default'))).toBe(false);
    expect(await may({ resource: 'secrets', verb: 'get', namespace: tenant, name: 'x' })).toBe(
      false,
    );
  });
});

describe('the Application CRD on a real apiserver', () => {
  it('stores a minimal Application with exactly the defaults parseApplication applies', async () => {
    const sent = application('minimal');
    await cluster.apply(sent);
    const live = await cluster.get(sent);
    const fromServer = parseApplication(live);
    const fromUs = parseApplication(sent);
    if (fromServer.kind !== 'ok') throw fromServer.error;
    if (fromUs.kind !== 'ok') throw fromUs.error;
    expect(fromServer.value.spec).toEqual(fromUs.value.spec);
    expect(live?.['spec']).toMatchObject({
      source: { targetRevision: 'main', path: '.' },
      syncPolicy: { drift: 'heal', interval: '3m', retry: { limit: 5 } },
      suspend: false,
    });
  });

  it.each([
    [
      'a drift policy it does not know',
      { syncPolicy: { drift: 'sometimes' } },
      'spec.syncPolicy.drift',
      'Unsupported value: "sometimes"',
    ],
    [
      'both kustomize and helm',
      { source: { repoURL: 'https://x.example/r.git', kustomize: {}, helm: {} } },
      'spec.source',
      'set at most one of kustomize, helm',
    ],
    [
      'an ignore rule with pointers and managers',
      {
        ignoreDifferences: [
          { kind: 'Deployment', jsonPointers: ['/spec/replicas'], managedFieldsManagers: ['hpa'] },
        ],
      },
      'spec.ignoreDifferences[0]',
      'set exactly one of jsonPointers, managedFieldsManagers',
    ],
    [
      'an interval that would spin',
      { syncPolicy: { interval: '0s' } },
      'spec.syncPolicy.interval',
      'must be at least 1s',
    ],
    [
      'a path that climbs out of the repository',
      { source: { repoURL: 'https://x.example/r.git', path: '../other' } },
      'spec.source.path',
      'should match',
    ],
  ])(
    'refuses %s with 422 naming the field, as parseApplication does',
    async (_what, spec, field, detail) => {
      const obj = application('invalid', spec);
      const error = await cluster.apply(obj).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(KubeApiError);
      const e = error as KubeApiError;
      expect(e.status).toBe(422);
      expect(e.apiMessage).toContain(`${field}: `);
      expect(e.apiMessage).toContain(detail);
      const ours = parseApplication(obj);
      expect(ours.kind === 'error' ? ours.error.problems : []).toContainEqual(
        expect.stringMatching(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `)),
      );
    },
  );

  it('shows Sync, Health, Revision, Ready and Age in kubectl get, from the status subresource', async () => {
    await cluster.apply(application('web'));
    const status = {
      observedGeneration: 1,
      sync: { status: 'Synced', revision: sha },
      health: { status: 'Healthy', message: 'all objects are healthy' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Synced',
          message: `applied ${sha.slice(0, 12)}`,
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    };
    const r = await kube.apply(
      `/apis/ballast.dev/v1alpha1/namespaces/${ns}/applications/web/status`,
      {
        apiVersion: 'ballast.dev/v1alpha1',
        kind: 'Application',
        metadata: { name: 'web', namespace: ns },
        status,
      },
      'ballast',
    );
    expect(r.status, r.body).toBe(200);

    // Fully qualified: Argo CD's applications.argoproj.io (synced from the corpus onto this
    // cluster by another test) answers to the bare name too.
    const table = await kubectl('', 'get', 'applications.ballast.dev', '-n', ns);
    const [header, ...rows] = table.trim().split('\n');
    expect(header).toMatch(/^NAME\s+SYNC\s+HEALTH\s+REVISION\s+READY\s+AGE$/);
    expect(rows).toContainEqual(
      expect.stringMatching(new RegExp(`^web\\s+Synced\\s+Healthy\\s+${sha}\\s+True\\s+\\d+s$`)),
    );
    expect(rows).toContainEqual(expect.stringMatching(/^minimal\s+\d+s$/));
    const wide = await kubectl(
      '',
      'get',
      'applications.ballast.dev',
      'web',
      '-n',
      ns,
      '-o',
      'wide',
    );
    expect(wide).toMatch(/MESSAGE/);
    expect(wide).toContain(`applied ${sha.slice(0, 12)}`);
  });
});
