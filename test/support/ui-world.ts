import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { toolPath } from '../../src/dev/paths.js';
import { freePort } from '../../src/dev/ports.js';
import { run } from '../../src/exec/run.js';
import {
  startBallastProcess,
  startControllerProcess,
  type ControllerProcess,
} from './controller-process.js';
import { eventually } from './kube.js';
import { kubeconfigWithToken, serviceAccountToken } from './service-account.js';
import { clusterFor } from './sync.js';
import { tempDirs } from './temp.js';
import { testApplication } from './manifests.js';

/** The people who sign in to the UI: ServiceAccounts of the world's namespace. */
export type UiUser = 'operator' | 'viewer';

/**
 * What the browser tests run against: `ballast controller --ui` as a separate process (as its
 * Pod runs it) limited to a namespace of its own on one test cluster, with a SQLite audit
 * ledger; the real Git server with one repository; two ServiceAccounts, `operator`, who may
 * change Applications in the namespace, and `viewer`, who may only get, list and watch them;
 * and `ballast ui` as the operator runs it on a laptop: local mode, a kubeconfig holding the
 * operator's token, the controller's ledger.
 */
export interface UiWorld {
  ns: string;
  /** `controller --ui` (cluster mode, sign in with a bearer token), e.g. http://127.0.0.1:40123. */
  url: string;
  /** `ballast ui` (local mode) with the operator's kubeconfig: no sign-in. */
  localUrl: string;
  local: ControllerProcess;
  cluster: Cluster;
  kubeconfig: string;
  server: GitServer;
  repo: WorkingClone;
  ledgerUrl: string;
  controller: ControllerProcess;
  /** A bearer token of `user`, as `kubectl create token` gives one. */
  token(user: UiUser): Promise<string>;
  /** The name the apiserver gives `user` (what the ledger records as the actor). */
  userName(user: UiUser): string;
  /** An Application reading `path` of the world's repository, synced automatically. */
  application(name: string, path: string, spec?: Record<string, unknown>): KubeObject;
  app(name: string): Promise<Application | undefined>;
  /** Waits until the Application is Synced and Ready at the repository's head. */
  synced(name: string, timeoutMs?: number): Promise<string>;
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const api = 'ballast.dev/v1alpha1';

export async function startUiWorld(clusterIndex: number, prefix: string): Promise<UiWorld> {
  const temp = tempDirs();
  const dir = await temp.make(`ballast-${prefix}-`);
  const gitToken = `tok_${randomBytes(12).toString('hex')}`;
  const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
  const kubeconfig = inject('controlPlane').clusters[clusterIndex]?.kubeconfig ?? '';
  const cluster = clusterFor(kubeconfig);
  const crd = await cluster.apply(applicationCrd());
  await waitForCrds(cluster, [crd], 30_000);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const o of rbacObjects(ns)) await cluster.apply(o);
  await cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-creds', namespace: ns },
    data: { token: Buffer.from(gitToken).toString('base64') },
  });
  const server = await startGitServer({
    auth: { users: [], tokens: [gitToken] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'apps');
  const repoURL = server.httpUrl('apps');
  const repo = await WorkingClone.clone({
    url: repoURL,
    access: { kind: 'bearer', token: gitToken },
  });
  const ledgerUrl = `sqlite:${join(dir, 'audit.db')}`;
  const port = await freePort();
  const controller = startControllerProcess(join(dir, 'controller.log'), [
    ...['--kubeconfig', kubeconfig, '-n', ns, '--cache-dir', join(dir, 'cache')],
    ...['--port', String(port), '--bind-address', '127.0.0.1', '--ui'],
    ...['--ledger', ledgerUrl, '--ledger-checkpoint-configmap', 'none'],
  ]);
  const url = `http://127.0.0.1:${port}`;
  const operatorConfig = await kubeconfigWithToken(
    kubeconfig,
    await serviceAccountToken(cluster, ns, 'operator'),
    join(dir, 'operator.kubeconfig'),
  );
  const localPort = await freePort();
  const localUrl = `http://127.0.0.1:${localPort}`;
  let local: ControllerProcess | undefined;
  try {
    // The ledger file is the controller's to make, and `ballast ui` refuses a missing one.
    await serving(controller, `${url}/login`);
    local = startBallastProcess('ui', join(dir, 'ui.log'), [
      ...['--kubeconfig', operatorConfig, '--port', String(localPort), '--ledger', ledgerUrl],
    ]);
    await serving(local, `${localUrl}/api/session`);
  } catch (e) {
    // A world that did not come up leaves no process or directory behind.
    await Promise.allSettled([local?.stop(), controller.stop(), repo.remove(), server.stop()]);
    cluster.close();
    await temp.removeAll();
    throw e;
  }

  const kubectl = async (...args: string[]): Promise<string> => {
    const r = await run(toolPath('kubectl'), args, {
      env: { KUBECONFIG: kubeconfig },
      timeoutMs: 60_000,
    });
    if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${JSON.stringify(r)}`);
    return r.stdout.toString('utf8');
  };
  const app = async (name: string): Promise<Application | undefined> =>
    (await cluster.get({
      apiVersion: api,
      kind: 'Application',
      metadata: { name, namespace: ns },
    })) as Application | undefined;
  return {
    ns,
    url,
    localUrl,
    local,
    cluster,
    kubeconfig,
    server,
    repo,
    ledgerUrl,
    controller,
    token: (user) => serviceAccountToken(cluster, ns, user),
    userName: (user) => `system:serviceaccount:${ns}:${user}`,
    application: (name, path, spec = {}) =>
      testApplication({ ns, repoURL, apiVersion: api }, name, path, spec),
    app,
    synced: async (name, timeoutMs = 60_000) => {
      const head = await repo.head();
      await eventually(`${ns}/${name} is synced at ${head.slice(0, 7)}`, timeoutMs, async () => {
        const s = (await app(name))?.status;
        const ready = s?.conditions?.find((c) => c.type === 'Ready');
        return s?.lastSyncedRevision === head && ready?.status === 'True';
      });
      return head;
    },
    kubectl,
    stop: async () => {
      try {
        await local.stop();
        await controller.stop();
        await cluster.delete({
          apiVersion: 'v1',
          kind: 'Namespace',
          namespace: ns,
          name: ns,
          group: '',
        });
        for (const o of clusterScoped(ns))
          await cluster.delete({ ...o, group: 'rbac.authorization.k8s.io', namespace: '' });
        cluster.close();
        await repo.remove();
        await server.stop();
      } finally {
        await temp.removeAll();
      }
    },
  };
}

/** Waits until `process` answers `url` with 200, failing at once if it exited. */
async function serving(process: ControllerProcess, url: string): Promise<void> {
  await eventually(`${url} is served`, 60_000, async () => {
    if (!process.alive()) throw new Error(`the server of ${url} exited: ${await logTail(process)}`);
    return (await fetch(url).catch(() => undefined))?.status === 200;
  });
}

async function logTail(p: ControllerProcess): Promise<string> {
  return JSON.stringify((await p.lines()).slice(-5));
}

/** Cluster-wide objects the world makes (so it removes them again). */
function clusterScoped(ns: string): { apiVersion: string; kind: string; name: string }[] {
  const rbac = 'rbac.authorization.k8s.io/v1';
  return [
    { apiVersion: rbac, kind: 'ClusterRole', name: `${ns}-apps-reader` },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', name: `${ns}-apps-reader` },
  ];
}

/**
 * The two users' rights. Both read Applications cluster-wide (the Applications view lists every
 * namespace the user may see); only the operator may patch them, and read what they manage.
 */
function rbacObjects(ns: string): KubeObject[] {
  const rbac = 'rbac.authorization.k8s.io/v1';
  const sa = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: ns },
  });
  const subject = (name: string): object => ({ kind: 'ServiceAccount', name, namespace: ns });
  const appsRead = {
    apiGroups: ['ballast.dev'],
    resources: ['applications'],
    verbs: ['get', 'list', 'watch'],
  };
  return [
    sa('operator'),
    sa('viewer'),
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: `${ns}-apps-reader` },
      rules: [appsRead],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: `${ns}-apps-reader` },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: `${ns}-apps-reader`,
      },
      subjects: [subject('operator'), subject('viewer')],
    },
    {
      apiVersion: rbac,
      kind: 'Role',
      metadata: { name: 'operator', namespace: ns },
      rules: [
        { ...appsRead, verbs: ['get', 'list', 'watch', 'patch', 'update'] },
        // The diff is the operator's own: Git fetched with the repository's credentials, and a
        // server-side dry-run apply, which the apiserver allows only to who may patch.
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['repo-creds'], verbs: ['get'] },
        { apiGroups: ['', 'apps'], resources: ['configmaps', 'deployments'], verbs: ['patch'] },
        {
          apiGroups: ['', 'apps', 'batch', 'events.k8s.io'],
          resources: [
            'configmaps',
            'events',
            'pods',
            'services',
            'deployments',
            'replicasets',
            'jobs',
          ],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name: 'operator', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'operator' },
      subjects: [subject('operator')],
    },
  ];
}
