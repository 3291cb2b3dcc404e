import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { startHub, hubManifests, type RunningHub } from '../../src/fleet/hub/index.js';
import { removeTree } from '../../src/fs/remove.js';
import type { Logger } from '../../src/reconcile/log.js';
import { formatMicroTime } from '../../src/reconcile/microtime.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { clusterFor } from './sync.js';

export const fleetApi = 'ballast.dev/v1alpha1';

export type FleetObject = KubeObject & {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};
export interface FleetCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** One condition of a fleet object's status. */
export const conditionOf = (o: FleetObject | undefined, type: string): FleetCondition | undefined =>
  (o?.status?.['conditions'] as FleetCondition[] | undefined)?.find((c) => c.type === type);

/**
 * A hub cluster prepared for a real hub controller: the RBAC `ballast install --hub` grants,
 * in a fleet namespace and a FleetApplication namespace of its own, a kubeconfig of the
 * ballast-hub ServiceAccount, and an anonymous Git server holding one repository (app/cm.yaml).
 */
export interface PreparedHub {
  /** The admin client, for the test's own reads and writes. */
  admin: Cluster;
  fleetNs: string;
  appNs: string;
  /** A kubeconfig of the ballast-hub ServiceAccount, for a hub run in another process. */
  hubKubeconfig: string;
  /** A directory of this run's own, removed by close. */
  dir: string;
  repo: WorkingClone;
  repoURL: string;
  /** The commit the repository starts at. */
  firstSha: string;
  /** A Cluster name unique to this run: each has a global namespace on the hub. */
  name: (base: string) => string;
  get: (kind: string, namespace: string, name: string) => Promise<FleetObject | undefined>;
  /** The Assignment of FleetApplication `app` (in appNs) for `cluster`. */
  assignment: (cluster: string, app: string) => Promise<FleetObject | undefined>;
  applyCluster: (name: string, labels: Record<string, string>, spec?: object) => Promise<void>;
  /** A FleetApplication in appNs reading app/ at main, every 2 s, on clusters labelled tier=store. */
  fleetApp: (name: string, spec: Record<string, unknown>) => KubeObject;
  ensureNamespace: (name: string) => Promise<void>;
  /** Stops the Git server and removes what this run made on disk. */
  close: () => Promise<void>;
}

/** A PreparedHub with a real hub controller running in this process as the ServiceAccount. */
export interface HubFixture extends PreparedHub {
  webhookSecret: string;
  running: RunningHub;
  /** What an agent writes back: synced and healthy at `sha`, for the spec it saw. */
  reportSynced: (a: FleetObject, sha: string) => Promise<void>;
  /** What an agent's heartbeat writes: its Lease, renewed at `renewMs`. */
  renewLease: (cluster: string, renewMs: number) => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * A kubeconfig for the hub's ServiceAccount, from a token the apiserver issues: the hub runs
 * with exactly the RBAC `ballast install --hub` grants, so a rule missing from it fails a test.
 */
async function hubKubeconfig(
  admin: Cluster,
  adminKubeconfig: string,
  fleetNs: string,
  dir: string,
): Promise<string> {
  const path = `/api/v1/namespaces/${fleetNs}/serviceaccounts/ballast-hub/token`;
  const body = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  };
  const r = await admin.http.request('POST', path, JSON.stringify(body), {
    'content-type': 'application/json',
  });
  expect(r.status, r.body).toBe(201);
  const token = (JSON.parse(r.body) as { status: { token: string } }).status.token;
  const kc = parse(await readFile(adminKubeconfig, 'utf8')) as {
    users: { name: string; user: object }[];
  };
  kc.users = kc.users.map((u) => ({ name: u.name, user: { token } }));
  const file = join(dir, 'hub.kubeconfig');
  await writeFile(file, stringify(kc), { mode: 0o600 });
  return file;
}

/** Applies hubManifests, binding the hub's ClusterRoles under names of this run's own. */
async function installHub(admin: Cluster, fleetNs: string, suffix: string): Promise<void> {
  const crds = [];
  for (const m of hubManifests(fleetNs)) {
    // Binding names are global: another test's fleet namespace must not take it over.
    const own =
      m.kind === 'ClusterRoleBinding'
        ? { ...m, metadata: { ...m.metadata, name: `${m.metadata.name}-${suffix}` } }
        : m;
    const stored = await admin.apply(own);
    if (m.kind === 'CustomResourceDefinition') crds.push(stored);
  }
  await waitForCrds(admin, crds, 30_000);
}

async function startRepo(): Promise<{
  server: GitServer;
  repo: WorkingClone;
  repoURL: string;
  firstSha: string;
}> {
  // Anonymous: the hub fetches without credentials; a template's secretRef is the spokes'.
  const server = await startGitServer({
    auth: { users: [], tokens: [] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'fleet');
  const repoURL = server.httpUrl('fleet');
  const repo = await WorkingClone.clone({ url: repoURL, access: { kind: 'anonymous' } });
  await repo.writeFile(
    'app/cm.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pos\ndata:\n  region: ${cluster_label_region}\n',
  );
  const firstSha = await repo.commit('the point-of-sale app');
  await repo.push();
  return { server, repo, repoURL, firstSha };
}

export async function prepareHub(clusterIndex: number): Promise<PreparedHub> {
  const suffix = randomBytes(3).toString('hex');
  const fleetNs = `fleet-${suffix}`;
  const appNs = `fleetapps-${suffix}`;
  const adminKubeconfig = inject('controlPlane').clusters[clusterIndex]?.kubeconfig ?? '';
  const admin = clusterFor(adminKubeconfig);
  const ensureNamespace = async (n: string): Promise<void> => {
    await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  };
  await installHub(admin, fleetNs, suffix);
  await ensureNamespace(appNs);
  const { server, repo, repoURL, firstSha } = await startRepo();
  const dir = await mkdtemp(join(tmpdir(), 'ballast-hub-'));
  const get: PreparedHub['get'] = (kind, namespace, n) =>
    admin.get({ apiVersion: fleetApi, kind, metadata: { name: n, namespace } });
  return {
    admin,
    fleetNs,
    appNs,
    hubKubeconfig: await hubKubeconfig(admin, adminKubeconfig, fleetNs, dir),
    dir,
    repo,
    repoURL,
    firstSha,
    name: (base) => `${base}-${suffix}`,
    get,
    assignment: (cluster, app) =>
      get('Assignment', `ballast-cluster-${cluster}`, `${appNs}.${app}`),
    applyCluster: async (n, labels, spec = {}) => {
      await admin.apply({
        apiVersion: fleetApi,
        kind: 'Cluster',
        metadata: { name: n, namespace: fleetNs, labels },
        spec,
      });
    },
    fleetApp: (n, spec) => ({
      apiVersion: fleetApi,
      kind: 'FleetApplication',
      metadata: { name: n, namespace: appNs },
      spec: {
        template: {
          source: { repoURL, targetRevision: 'main', path: 'app' },
          destination: { namespace: 'pos' },
          syncPolicy: { interval: '2s' },
        },
        placement: { clusterSelector: { matchLabels: { tier: 'store' } } },
        ...spec,
      },
    }),
    ensureNamespace,
    close: async () => {
      admin.close();
      await repo.remove();
      await server.stop();
      await removeTree(dir);
    },
  };
}

/** `logger`: where the hub's lines go, for a test that reads them (default: the hub's own). */
export async function startHubFixture(
  clusterIndex: number,
  extra: { logger?: Logger } = {},
): Promise<HubFixture> {
  const base = await prepareHub(clusterIndex);
  const { admin } = base;
  const webhookSecret = randomBytes(16).toString('hex');
  const asHub = clusterFor(base.hubKubeconfig);
  const running = await startHub(
    { hub: asHub, source: new GitSource(defaultSourceOptions(join(base.dir, 'source'))) },
    {
      namespace: base.appNs,
      fleetNamespace: base.fleetNs,
      httpPort: 0,
      webhookSecret,
      ...(extra.logger === undefined ? {} : { logger: extra.logger }),
    },
  );
  return {
    ...base,
    webhookSecret,
    running,
    reportSynced: async (a, sha) => {
      const path = `/apis/${fleetApi}/namespaces/${a.metadata.namespace ?? ''}/assignments/${a.metadata.name}/status`;
      const status = {
        observedGeneration: a.metadata.generation,
        sync: { status: 'Synced', revision: sha },
        health: { status: 'Healthy', message: 'all objects healthy' },
        lastSyncedRevision: sha,
      };
      const r = await admin.http.request('PATCH', path, JSON.stringify({ status }), {
        'content-type': 'application/merge-patch+json',
      });
      expect(r.status, r.body).toBe(200);
    },
    renewLease: async (cluster, renewMs) => {
      await admin.apply({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'ballast-agent', namespace: `ballast-cluster-${cluster}` },
        spec: {
          holderIdentity: cluster,
          leaseDurationSeconds: 60,
          renewTime: formatMicroTime(renewMs),
        },
      });
    },
    stop: async () => {
      await running.stop();
      asHub.close();
      await base.close();
    },
  };
}
