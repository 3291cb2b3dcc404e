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
import { startControllerProcess, type ControllerProcess } from './controller-process.js';
import { eventually } from './kube.js';
import { serviceAccountToken } from './service-account.js';
import { clusterFor } from './sync.js';
import { tempDirs } from './temp.js';

/** The people who sign in to the UI: ServiceAccounts of the world's namespace. */
export type UiUser = 'operator' | 'viewer';

/**
 * What the browser tests run against: `ballast controller --ui` as a separate process (as its
 * Pod runs it) limited to a namespace of its own on one test cluster, a SQLite audit ledger, the
 * real Git server with one repository, and two ServiceAccounts to sign in as: `operator`, who
 * may change Applications in the namespace, and `viewer`, who may only get, list and watch them.
 */
export interface UiWorld {
  ns: string;
  /** Where the UI is served, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
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
  await eventually(`the controller serves the UI at ${url}`, 60_000, async () => {
    if (!controller.alive()) throw new Error(`the controller exited: ${await tail(controller)}`);
    const r = await fetch(`${url}/login`).catch(() => undefined);
    return r?.status === 200;
  });

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
    cluster,
    kubeconfig,
    server,
    repo,
    ledgerUrl,
    controller,
    token: (user) => serviceAccountToken(cluster, ns, user),
    userName: (user) => `system:serviceaccount:${ns}:${user}`,
    application: (name, path, spec = {}) => ({
      apiVersion: api,
      kind: 'Application',
      metadata: { name, namespace: ns },
      spec: {
        source: {
          repoURL,
          targetRevision: 'main',
          path,
          secretRef: { name: 'repo-creds' },
          // The test Git server speaks plain HTTP on loopback.
          insecureAllowHttpCredentials: true,
        },
        destination: { namespace: ns },
        syncPolicy: { automated: { prune: true, selfHeal: true }, interval: '1h' },
        ...spec,
      },
    }),
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

async function tail(c: ControllerProcess): Promise<string> {
  const lines = await c.lines();
  return JSON.stringify(lines.slice(-5));
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
        {
          apiGroups: ['', 'apps', 'events.k8s.io'],
          resources: ['configmaps', 'events', 'pods', 'services', 'deployments', 'replicasets'],
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
