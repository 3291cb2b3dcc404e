import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { controllerKubeconfig } from '../../bench/controller-identity.js';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { defaultInstallOptions } from '../../src/cli/install.js';
import { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { removeTree } from '../../src/fs/remove.js';
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/kube.js';

/**
 * `ballast install --tenancy multi` as a person runs it: the controller authenticates as its
 * installed ServiceAccount, whose role only reads, writes status and impersonates, and a
 * tenant's Applications act as the `ballast` ServiceAccount of the tenant's namespace.
 */
const ns = `tenant-${randomBytes(3).toString('hex')}`;
const escalation = `${ns}-escalation`;
let admin: Cluster;
let server: GitServer;
let repo: WorkingClone;
let scratch: string;
let controller: ControllerProcess;

const apply = (o: KubeObject): Promise<KubeObject> => admin.apply(o);

const application = (name: string, path: string): KubeObject => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: ns },
  spec: {
    source: {
      repoURL: server.httpUrl('apps'),
      path,
      secretRef: { name: 'repo-creds' },
      // The test Git server speaks plain HTTP on loopback.
      insecureAllowHttpCredentials: true,
    },
    destination: { namespace: ns },
    syncPolicy: { automated: { prune: true }, interval: '1h' },
  },
});

async function ready(name: string): Promise<{ reason?: string; message?: string } | undefined> {
  const app = (await admin.get({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: ns },
  })) as Application | undefined;
  return app?.status?.conditions?.find((c) => c.type === 'Ready');
}

beforeAll(async () => {
  const kubeconfig = inject('controlPlane').clusters[1]?.kubeconfig ?? '';
  admin = Cluster.connect({ kubeconfig });
  scratch = await mkdtemp(join(tmpdir(), 'ballast-tenancy-'));
  const controllerConfig = join(scratch, 'controller.kubeconfig');
  await controllerKubeconfig(admin, kubeconfig, controllerConfig, {
    ...defaultInstallOptions(),
    tenancy: 'multi',
    replicas: 0,
  });
  await admin.discovery.refresh();
  const token = `tok_${randomBytes(12).toString('hex')}`;
  server = await startGitServer({
    auth: { users: [], tokens: [token] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'apps');
  repo = await WorkingClone.clone({
    url: server.httpUrl('apps'),
    access: { kind: 'bearer', token },
  });
  await repo.writeFile(
    'web/cm.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  replicas: "3"\n',
  );
  await repo.writeFile(
    'attack/crb.yaml',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n' +
      `  name: ${escalation}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n` +
      `  name: cluster-admin\nsubjects:\n  - kind: ServiceAccount\n    name: ballast\n    namespace: ${ns}\n`,
  );
  await repo.commit('a tenant app and an attack');
  await repo.push();
  // What a platform team gives a tenant namespace: the `ballast` account, bound to `edit`.
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'ballast', namespace: ns },
  });
  await apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'ballast-edit', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'ServiceAccount', name: 'ballast', namespace: ns }],
  });
  await apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-creds', namespace: ns },
    data: { token: Buffer.from(token).toString('base64') },
  });
  controller = startControllerProcess(join(scratch, 'controller.log'), [
    ...['--kubeconfig', controllerConfig, '-n', ns, '--cache-dir', join(scratch, 'cache')],
    ...['--port', '0', '--bind-address', '127.0.0.1', '--ledger', 'none'],
    ...['--default-service-account', 'ballast'],
  ]);
});

afterAll(async () => {
  await controller.stop();
  await admin.delete({ apiVersion: 'v1', kind: 'Namespace', namespace: ns, name: ns, group: '' });
  admin.close();
  await repo.remove();
  await server.stop();
  await removeTree(scratch);
});

describe('a controller installed with --tenancy multi', () => {
  it("syncs and heals a tenant's app as the tenant's ServiceAccount, using only the controller's narrow role", async () => {
    await apply(application('web', 'web'));
    await eventually(
      'web is synced',
      90_000,
      async () => (await ready('web'))?.reason === 'Synced',
    );
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: ns } };
    await admin.jsonPatch(cm, [{ op: 'replace', path: '/data/replicas', value: '1' }]);
    await eventually('the manual change is reverted', 30_000, async () => {
      const live = await admin.get(cm);
      return (live?.['data'] as Record<string, string> | undefined)?.['replicas'] === '3';
    });
  });

  it('refuses a ClusterRoleBinding to cluster-admin as Forbidden, and it does not exist', async () => {
    await apply(application('attack', 'attack'));
    await eventually(
      'attack is refused',
      90_000,
      async () => (await ready('attack'))?.reason === 'Forbidden',
    );
    expect((await ready('attack'))?.message).toContain(`system:serviceaccount:${ns}:ballast`);
    const crb = await admin.get({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: escalation },
    });
    expect(crb).toBeUndefined();
  });
});
