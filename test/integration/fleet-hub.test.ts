import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { buildAssignment } from '../../src/fleet/assignment-build.js';
import { parseFleetApplication } from '../../src/fleet/fleet-application.js';
import { startHub, hubManifests, type RunningHub } from '../../src/fleet/hub/index.js';
import { removeTree } from '../../src/fs/remove.js';
import { formatMicroTime } from '../../src/reconcile/microtime.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { runCli } from '../support/cli.js';
import { eventually } from '../support/kube.js';
import { clusterFor } from '../support/sync.js';

const api = 'ballast.dev/v1alpha1';
const webhookSecret = randomBytes(16).toString('hex');
const suffix = randomBytes(3).toString('hex');
const fleetNs = `fleet-${suffix}`;
const appNs = `fleetapps-${suffix}`;
/** Cluster names are global on the hub (each has its namespace), so each run takes its own. */
const name = (base: string): string => `${base}-${suffix}`;

let hub: Cluster;
/** The hub controller's own client: the ballast-hub ServiceAccount, with only its narrow role. */
let asHub: Cluster;
let server: GitServer;
let repo: WorkingClone;
let repoURL: string;
let cache: string;
let running: RunningHub;
let firstSha: string;

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
type Condition = { type: string; status: string; reason: string; message: string };

const get = async (kind: string, namespace: string, n: string): Promise<Obj | undefined> =>
  await hub.get({ apiVersion: api, kind, metadata: { name: n, namespace } });
const condition = (o: Obj | undefined, type: string): Condition | undefined =>
  (o?.status?.['conditions'] as Condition[] | undefined)?.find((c) => c.type === type);
const assignment = (cluster: string, app: string): Promise<Obj | undefined> =>
  get('Assignment', `ballast-cluster-${cluster}`, `${appNs}.${app}`);

async function applyCluster(
  n: string,
  labels: Record<string, string>,
  spec: object = {},
): Promise<void> {
  await hub.apply({
    apiVersion: api,
    kind: 'Cluster',
    metadata: { name: n, namespace: fleetNs, labels },
    spec,
  });
}

function fleetApp(n: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: api,
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
  };
}

/** What an agent writes back: synced and healthy at `sha`, for the spec it saw. */
async function reportSynced(a: Obj, sha: string): Promise<void> {
  const path = `/apis/${api}/namespaces/${a.metadata.namespace ?? ''}/assignments/${a.metadata.name}/status`;
  const status = {
    observedGeneration: a.metadata.generation,
    sync: { status: 'Synced', revision: sha },
    health: { status: 'Healthy', message: 'all objects healthy' },
    lastSyncedRevision: sha,
  };
  const r = await hub.http.request('PATCH', path, JSON.stringify({ status }), {
    'content-type': 'application/merge-patch+json',
  });
  expect(r.status, r.body).toBe(200);
}

/** What an agent's heartbeat writes: its Lease, renewed at `renewMs`. */
async function renewLease(cluster: string, renewMs: number): Promise<void> {
  await hub.apply({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'ballast-agent', namespace: `ballast-cluster-${cluster}` },
    spec: {
      holderIdentity: cluster,
      leaseDurationSeconds: 60,
      renewTime: formatMicroTime(renewMs),
    },
  });
}

async function ensureNamespace(n: string): Promise<void> {
  await hub.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
}

/**
 * A kubeconfig for the hub's ServiceAccount, from a token the apiserver issues: the hub runs
 * with exactly the RBAC `ballast install --hub` grants, so a rule missing from it fails here.
 */
async function hubKubeconfig(adminKubeconfig: string): Promise<string> {
  const path = `/api/v1/namespaces/${fleetNs}/serviceaccounts/ballast-hub/token`;
  const body = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  };
  const r = await hub.http.request('POST', path, JSON.stringify(body), {
    'content-type': 'application/json',
  });
  expect(r.status, r.body).toBe(201);
  const token = (JSON.parse(r.body) as { status: { token: string } }).status.token;
  const kc = parse(await readFile(adminKubeconfig, 'utf8')) as {
    users: { name: string; user: object }[];
  };
  kc.users = kc.users.map((u) => ({ name: u.name, user: { token } }));
  const file = join(cache, 'hub.kubeconfig');
  await writeFile(file, stringify(kc), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  const adminKubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  hub = clusterFor(adminKubeconfig);
  const manifests = hubManifests(fleetNs);
  const crds = [];
  for (const m of manifests) {
    // The binding's name is global: another test's hub namespace must not take it over, so this
    // run binds the same ClusterRole under a name of its own.
    const own =
      m.kind === 'ClusterRoleBinding'
        ? { ...m, metadata: { ...m.metadata, name: `ballast-hub-${suffix}` } }
        : m;
    const stored = await hub.apply(own);
    if (m.kind === 'CustomResourceDefinition') crds.push(stored);
  }
  await waitForCrds(hub, crds, 30_000);
  await ensureNamespace(appNs);
  // Anonymous: the hub fetches without credentials; a template's secretRef is the spokes'.
  server = await startGitServer({ auth: { users: [], tokens: [] }, allowPush: true, ssh: false });
  await createBareRepo(server, 'fleet');
  repoURL = server.httpUrl('fleet');
  repo = await WorkingClone.clone({ url: repoURL, access: { kind: 'anonymous' } });
  await repo.writeFile(
    'app/cm.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pos\ndata:\n  region: ${cluster_label_region}\n',
  );
  firstSha = await repo.commit('the point-of-sale app');
  await repo.push();
  cache = await mkdtemp(join(tmpdir(), 'ballast-hub-'));
  asHub = clusterFor(await hubKubeconfig(adminKubeconfig));
  running = await startHub(
    { hub: asHub, source: new GitSource(defaultSourceOptions(join(cache, 'source'))) },
    { namespace: appNs, fleetNamespace: fleetNs, httpPort: 0, webhookSecret },
  );
});

afterAll(async () => {
  await running.stop();
  asHub.close();
  hub.close();
  await repo.remove();
  await server.stop();
  await removeTree(cache);
});

describe('the hub controller', () => {
  it("writes one Assignment per selected Cluster, pinned to the commit with that cluster's variables, aggregates what agents report, follows a push, and deletes the Assignment of a cluster a label change deselects", async () => {
    const [eu, us, depot] = [name('eu'), name('us'), name('depot')];
    await applyCluster(eu, { tier: 'store', region: 'eu' });
    await applyCluster(us, { tier: 'store', region: 'us' });
    await applyCluster(depot, { tier: 'depot', region: 'eu' });
    await hub.apply(
      fleetApp('pos', {
        values: [
          { clusterSelector: { matchLabels: { region: 'us' } }, variables: { currency: 'USD' } },
        ],
      }),
    );

    await eventually('both stores have an Assignment', 60_000, async () => {
      return (
        (await assignment(eu, 'pos')) !== undefined && (await assignment(us, 'pos')) !== undefined
      );
    });
    const a = await assignment(eu, 'pos');
    const b = await assignment(us, 'pos');
    expect(a?.spec?.['revision']).toBe(firstSha);
    expect(
      (a?.spec?.['application'] as { source: { targetRevision: string } }).source.targetRevision,
    ).toBe(firstSha);
    expect(a?.spec?.['variables']).toMatchObject({ cluster_name: eu, cluster_label_region: 'eu' });
    expect(a?.spec?.['variables']).not.toHaveProperty('currency');
    expect(b?.spec?.['variables']).toMatchObject({
      cluster_name: us,
      cluster_label_region: 'us',
      currency: 'USD',
    });
    expect(
      (a?.metadata.managedFields as { manager: string }[] | undefined)?.map((m) => m.manager),
    ).toContain('ballast-hub');
    expect(await assignment(depot, 'pos')).toBeUndefined();

    // The agents report: the FleetApplication and each Cluster aggregate it.
    if (a === undefined || b === undefined) throw new Error('unreachable');
    await reportSynced(a, firstSha);
    await reportSynced(b, firstSha);
    await eventually('the FleetApplication is Ready with 2 clusters synced', 30_000, async () => {
      const f = await get('FleetApplication', appNs, 'pos');
      return condition(f, 'Ready')?.status === 'True';
    });
    const f = await get('FleetApplication', appNs, 'pos');
    expect(f?.status?.['revision']).toBe(firstSha);
    expect(f?.status?.['summary']).toMatchObject({
      total: 2,
      failing: 0,
      sync: { synced: 2 },
      health: { healthy: 2 },
    });
    expect(f?.status?.['clusters']).toEqual(
      [
        { name: eu, revision: firstSha, sync: 'Synced', health: 'Healthy' },
        { name: us, revision: firstSha, sync: 'Synced', health: 'Healthy' },
      ].sort((x, y) => (x.name < y.name ? -1 : 1)),
    );
    await eventually('the Cluster counts its synced app', 30_000, async () => {
      const c = await get('Cluster', fleetNs, eu);
      return (
        (c?.status?.['apps'] as { sync?: { synced?: number } } | undefined)?.sync?.synced === 1
      );
    });

    // A push moves every Assignment to the new commit, at the template's 2 s interval.
    await repo.writeFile(
      'app/extra.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n',
    );
    const secondSha = await repo.commit('one more object');
    await repo.push();
    await eventually('both Assignments are pinned to the new commit', 30_000, async () => {
      return (
        (await assignment(eu, 'pos'))?.spec?.['revision'] === secondSha &&
        (await assignment(us, 'pos'))?.spec?.['revision'] === secondSha
      );
    });
    await eventually('the FleetApplication waits for the clusters again', 30_000, async () => {
      return (
        condition(await get('FleetApplication', appNs, 'pos'), 'Ready')?.reason === 'Progressing'
      );
    });

    // us leaves the placement: its Assignment goes, eu's stays.
    await applyCluster(us, { tier: 'depot', region: 'us' });
    await eventually(
      "us's Assignment is deleted",
      30_000,
      async () => (await assignment(us, 'pos')) === undefined,
    );
    expect(await assignment(eu, 'pos')).toBeDefined();
    await eventually('the FleetApplication counts 1 cluster', 30_000, async () => {
      const s = (await get('FleetApplication', appNs, 'pos'))?.status?.['summary'] as
        { total?: number } | undefined;
      return s?.total === 1;
    });

    // Deleted: the finalizer removes its Assignments in the cluster namespaces, then lets it go.
    await hub.delete({
      apiVersion: api,
      group: 'ballast.dev',
      kind: 'FleetApplication',
      namespace: appNs,
      name: 'pos',
    });
    await eventually('the FleetApplication and its Assignments are gone', 30_000, async () => {
      return (
        (await get('FleetApplication', appNs, 'pos')) === undefined &&
        (await assignment(eu, 'pos')) === undefined
      );
    });
  });

  it('stalls an invalid FleetApplication with the field path and writes no Assignments; a selector matching nothing is 0 clusters, not an error', async () => {
    const store = name('lone');
    await applyCluster(store, { tier: 'store', region: 'ap' });
    // The CRD cannot state this rule, so the apiserver stores it and the hub refuses it.
    await hub.apply(
      fleetApp('bad', { values: [{ clusterSelector: {}, variables: { cluster_region: 'x' } }] }),
    );
    // A tenant's file:// URL would read the hub's own disk: refused, and nothing is written.
    const local = fleetApp('local', {});
    const spec = local as unknown as { spec: { template: { source: { repoURL: string } } } };
    spec.spec.template.source.repoURL = 'file:///etc';
    await hub.apply(local);
    await hub.apply(
      fleetApp('nowhere', { placement: { clusterSelector: { matchLabels: { tier: 'moon' } } } }),
    );

    await eventually(
      'bad is Stalled',
      30_000,
      async () =>
        condition(await get('FleetApplication', appNs, 'bad'), 'Stalled')?.status === 'True',
    );
    const stalled = condition(await get('FleetApplication', appNs, 'bad'), 'Stalled');
    expect(stalled?.reason).toBe('InvalidSpec');
    expect(stalled?.message).toContain('spec.values[0].variables');
    expect(stalled?.message).toContain('cluster_region');
    await eventually('nowhere is Ready with 0 clusters', 30_000, async () => {
      const f = await get('FleetApplication', appNs, 'nowhere');
      return condition(f, 'Ready')?.reason === 'NoClustersSelected';
    });
    expect((await get('FleetApplication', appNs, 'nowhere'))?.status?.['summary']).toMatchObject({
      total: 0,
      failing: 0,
    });
    await eventually('local is Stalled', 30_000, async () => {
      return (
        condition(await get('FleetApplication', appNs, 'local'), 'Stalled')?.reason ===
        'RevisionUnresolved'
      );
    });
    expect(condition(await get('FleetApplication', appNs, 'local'), 'Stalled')?.message).toContain(
      'file://',
    );
    expect(await assignment(store, 'local')).toBeUndefined();
    // The lone store matches bad's selector, yet bad wrote nothing for it.
    expect(await assignment(store, 'bad')).toBeUndefined();
    await hub.delete({
      apiVersion: api,
      group: 'ballast.dev',
      kind: 'FleetApplication',
      namespace: appNs,
      name: 'nowhere',
    });
  });

  it("turns an agent's Lease into its Cluster's Ready: Unknown before any Lease, True while renewed, HeartbeatMissed once it is stale, and shows that on the FleetApplication", async () => {
    const edge = name('edge');
    const dead = name('dead');
    await applyCluster(edge, { tier: 'edge' }, { heartbeatTimeout: '5s' });
    await applyCluster(dead, { tier: 'edge' }, { heartbeatTimeout: '5s' });
    await eventually(
      'edge awaits its agent',
      30_000,
      async () =>
        condition(await get('Cluster', fleetNs, edge), 'Ready')?.reason === 'AgentNotRegistered',
    );
    expect(condition(await get('Cluster', fleetNs, edge), 'Ready')?.status).toBe('Unknown');

    await ensureNamespace(`ballast-cluster-${edge}`);
    await ensureNamespace(`ballast-cluster-${dead}`);
    await renewLease(dead, Date.now() - 600_000);
    await renewLease(edge, Date.now());
    await eventually(
      'edge is Ready',
      30_000,
      async () => condition(await get('Cluster', fleetNs, edge), 'Ready')?.status === 'True',
    );
    expect((await get('Cluster', fleetNs, edge))?.status?.['lastHeartbeatTime']).toEqual(
      expect.any(String),
    );
    await eventually(
      'dead is HeartbeatMissed at once',
      30_000,
      async () =>
        condition(await get('Cluster', fleetNs, dead), 'Ready')?.reason === 'HeartbeatMissed',
    );

    await hub.apply(
      fleetApp('edge-app', { placement: { clusterSelector: { matchLabels: { tier: 'edge' } } } }),
    );
    // edge's agent stops renewing: after its 5 s timeout it is HeartbeatMissed too.
    await eventually('edge is HeartbeatMissed', 30_000, async () => {
      const ready = condition(await get('Cluster', fleetNs, edge), 'Ready');
      return ready?.status === 'False' && ready.reason === 'HeartbeatMissed';
    });
    expect(condition(await get('Cluster', fleetNs, edge), 'Ready')?.message).toMatch(
      /more than the 5 s heartbeat timeout$/,
    );
    await eventually('the FleetApplication lists both clusters as failing', 30_000, async () => {
      const failing = (await get('FleetApplication', appNs, 'edge-app'))?.status?.['failing'] as
        { cluster: string; reason: string }[] | undefined;
      return failing?.length === 2 && failing.every((x) => x.reason === 'HeartbeatMissed');
    });
    await renewLease(edge, Date.now());
    await eventually(
      'edge is Ready again',
      30_000,
      async () => condition(await get('Cluster', fleetNs, edge), 'Ready')?.status === 'True',
    );
  });

  it('costs no Cluster status write per heartbeat: lastHeartbeatTime moves only after half the timeout', async () => {
    const calm = name('calm');
    await applyCluster(calm, { tier: 'calm' }, { heartbeatTimeout: '30s' });
    await ensureNamespace(`ballast-cluster-${calm}`);
    await renewLease(calm, Date.now());
    await eventually(
      'calm is Ready',
      30_000,
      async () => condition(await get('Cluster', fleetNs, calm), 'Ready')?.status === 'True',
    );
    const before = await get('Cluster', fleetNs, calm);
    for (let i = 1; i <= 3; i++) await renewLease(calm, Date.now() + i);
    // Long enough for the hub to see the three renewals and act on them, far below 15 s.
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await get('Cluster', fleetNs, calm);
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(after?.status?.['lastHeartbeatTime']).toBe(before?.status?.['lastHeartbeatTime']);
  });

  it('is installed by `ballast install --hub`, which prints the same CRDs and RBAC the hub ran with here', async () => {
    const r = await runCli(['install', '--hub', '--print']);
    expect(r.code, r.stderr).toBe(0);
    const printed = parseAllDocuments(r.stdout).map((d) => d.toJS() as KubeObject);
    expect(printed).toEqual(hubManifests());
  });

  it("resolves a FleetApplication's revision at once on a signed push webhook, long before its interval", async () => {
    const store = name('hooked');
    await applyCluster(store, { tier: 'hooked' });
    const app = fleetApp('hooked', { placement: { clusterNames: [store] } });
    const spec = app as unknown as { spec: { template: { syncPolicy: { interval: string } } } };
    spec.spec.template.syncPolicy.interval = '1h';
    await hub.apply(app);
    const before = await repo.head();
    await eventually('hooked has its Assignment', 30_000, async () => {
      return (await assignment(store, 'hooked'))?.spec?.['revision'] === before;
    });
    const health = await fetch(`http://127.0.0.1:${String(running.port)}/healthz`);
    expect(health.status).toBe(200);

    await repo.writeFile(
      'app/hooked.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hooked\n',
    );
    const after = await repo.commit('pushed with a webhook');
    await repo.push();
    const body = JSON.stringify({ repoURL });
    const unsigned = await fetch(`http://127.0.0.1:${String(running.port)}/hooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ballast-signature': 'sha256=00' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const signature = `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`;
    const hook = await fetch(`http://127.0.0.1:${String(running.port)}/hooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ballast-signature': signature },
      body,
    });
    expect(hook.status).toBeLessThan(300);
    await eventually('the Assignment moves to the pushed commit', 30_000, async () => {
      return (await assignment(store, 'hooked'))?.spec?.['revision'] === after;
    });
  });

  it('deletes an Assignment whose FleetApplication is gone, as when its finalizer was removed by hand', async () => {
    const store = name('orphan');
    await applyCluster(store, { tier: 'orphan' });
    await ensureNamespace(`ballast-cluster-${store}`);
    const ghost = parseFleetApplication({
      ...fleetApp('ghost', {}),
      metadata: { name: 'ghost', namespace: appNs, uid: 'gone' },
    });
    if (ghost.kind !== 'ok') throw ghost.error;
    const left = buildAssignment({
      fleetApplication: ghost.value,
      cluster: { metadata: { name: store } },
      revision: firstSha,
      variables: {},
    });
    await hub.apply(left);
    await eventually(
      'the orphaned Assignment is deleted',
      30_000,
      async () => (await assignment(store, 'ghost')) === undefined,
    );
  });
});
