import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogPath } from '../../src/dev/cluster.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';

/**
 * A tenant may manage Applications in its own namespace and nothing else. The controller runs
 * with `--default-service-account tenant`, so every Application acts as that account.
 */
let fx: ControllerFixture;
const tenant = 'tenant';
const escalation = `tenant-escalation-${Math.random().toString(16).slice(2, 8)}`;

const configMap = (name: string, value: string, namespace?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n` +
  (namespace === undefined ? '' : `  namespace: ${namespace}\n`) +
  `data:\n  value: "${value}"\n`;

interface AuditEvent {
  verb: string;
  requestURI: string;
  user: { username: string };
  impersonatedUser?: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

/** The apiserver's own record of the writes made to one ConfigMap of the test's namespace. */
async function writesTo(name: string): Promise<AuditEvent[]> {
  const text = await readFile(auditLogPath(dirname(fx.kubeconfig)), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.includes(`"${name}"`))
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter(
      (e) =>
        e.objectRef?.resource === 'configmaps' &&
        e.objectRef.namespace === fx.ns &&
        e.objectRef.name === name &&
        !e.requestURI.includes('dryRun'),
    );
}

beforeAll(async () => {
  fx = await startControllerFixture({
    clusterIndex: 0,
    controller: { defaultServiceAccount: tenant },
  });
  // What a namespace admin grants its Applications: ConfigMaps in its own namespace.
  for (const o of [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: tenant, namespace: fx.ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: tenant, namespace: fx.ns },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        // The repository's credentials are read as the Application, too.
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['repo-creds'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: tenant, namespace: fx.ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: tenant },
      subjects: [{ kind: 'ServiceAccount', name: tenant, namespace: fx.ns }],
    },
  ])
    await fx.cluster.apply(o);
  await fx.repo.writeFile(
    'attack/escalate.yaml',
    [
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRoleBinding',
      'metadata:',
      `  name: ${escalation}`,
      'roleRef:',
      '  apiGroup: rbac.authorization.k8s.io',
      '  kind: ClusterRole',
      '  name: cluster-admin',
      'subjects:',
      '  - kind: ServiceAccount',
      `    name: ${tenant}`,
      `    namespace: ${fx.ns}`,
      '',
    ].join('\n'),
  );
  await fx.repo.writeFile('attack/planted.yaml', configMap(escalation, 'x', 'kube-system'));
  await fx.repo.writeFile('own/settings.yaml', configMap('settings', 'one'));
  await fx.repo.writeFile('own/extra.yaml', configMap('extra', 'two'));
  await fx.repo.commit('an attack and an ordinary app');
  await fx.repo.push();
});

afterAll(async () => {
  await fx.stop();
});

describe('an Application acting as its namespace ServiceAccount', () => {
  it("refuses a ClusterRoleBinding to cluster-admin and a ConfigMap in kube-system, naming the tenant's identity, and creates neither", async () => {
    await fx.cluster.apply(fx.application('attack', 'attack'));
    await eventually('the attack is refused as Forbidden', 60_000, async () => {
      return (await fx.condition('attack', 'Ready'))?.reason === 'Forbidden';
    });
    const message = (await fx.condition('attack', 'Ready'))?.message ?? '';
    expect(message).toContain(`system:serviceaccount:${fx.ns}:${tenant}`);
    expect(message).toMatch(
      /is forbidden: .* cannot (get|patch|create) resource "clusterrolebindings"/,
    );
    expect(message).toContain(`ClusterRoleBinding.rbac.authorization.k8s.io/${escalation}`);
    const crb = await fx.cluster.get({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: escalation },
    });
    const planted = await fx.cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: escalation, namespace: 'kube-system' },
    });
    expect(crb).toBeUndefined();
    expect(planted).toBeUndefined();
  });

  it("syncs what its account may write, and heals and prunes as that account, as the apiserver's audit log records", async () => {
    await fx.cluster.apply(fx.application('own', 'own'));
    await eventually('own is synced', 60_000, async () => {
      return (await fx.condition('own', 'Ready'))?.reason === 'Synced';
    });
    await fx.kubectl(
      '-n',
      fx.ns,
      'patch',
      'configmap',
      'settings',
      '-p',
      '{"data":{"value":"hand"}}',
    );
    await eventually('the manual change is reverted', 30_000, async () => {
      const cm = await fx.get('v1', 'ConfigMap', 'settings');
      return (cm?.['data'] as Record<string, string> | undefined)?.['value'] === 'one';
    });
    await fx.repo.removeFile('own/extra.yaml');
    await fx.repo.commit('extra leaves Git');
    await fx.repo.push();
    await fx.kubectl(
      '-n',
      fx.ns,
      'annotate',
      'application.ballast.dev/own',
      `ballast.dev/refresh=${Date.now()}`,
    );
    await eventually('extra is pruned', 60_000, async () => {
      return (await fx.get('v1', 'ConfigMap', 'extra')) === undefined;
    });

    const sa = `system:serviceaccount:${fx.ns}:${tenant}`;
    // Created, then healed: both applies impersonate the tenant; the manual patch does not.
    const settings = await writesTo('settings');
    const asTenant = settings.filter((e) => e.impersonatedUser?.username === sa);
    const ownRights = settings.filter(
      (e) => e.impersonatedUser === undefined && e.verb === 'patch',
    );
    expect(asTenant.filter((e) => e.verb === 'patch').length).toBeGreaterThanOrEqual(2);
    // The test and the controller share one admin kubeconfig: the one unimpersonated patch is kubectl's.
    expect(ownRights).toHaveLength(1);
    const deletes = (await writesTo('extra')).filter((e) => e.verb === 'delete');
    expect(deletes.map((e) => e.impersonatedUser?.username)).toEqual([sa]);
  });
});
