import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/api/object.js';
import { buildAssignment } from '../../src/fleet/assignment-build.js';
import { parseFleetApplication } from '../../src/fleet/fleet-application.js';
import { hubManifests } from '../../src/fleet/hub/index.js';
import { holdsAssignment } from '../../src/fleet/hub/plan.js';
import { clusterVariables } from '../../src/fleet/variables.js';
import { runCli } from '../support/cli.js';
import { clusterFor } from '../support/sync.js';
import {
  conditionOf as condition,
  fleetApi as api,
  startHubFixture,
  type HubFixture,
} from '../support/hub-controller.js';
import { eventually } from '../support/kube.js';

let fx: HubFixture;

beforeAll(async () => {
  fx = await startHubFixture(0);
});

afterAll(async () => {
  await fx.stop();
});

describe('the hub controller', () => {
  it("writes one Assignment per selected Cluster, pinned to the commit with that cluster's variables, aggregates what agents report, follows a push, and deletes the Assignment of a cluster a label change deselects", async () => {
    const [eu, us, depot] = [fx.name('eu'), fx.name('us'), fx.name('depot')];
    await fx.applyCluster(eu, { tier: 'store', region: 'eu' });
    await fx.applyCluster(us, { tier: 'store', region: 'us' });
    await fx.applyCluster(depot, { tier: 'depot', region: 'eu' });
    await fx.admin.apply(
      fx.fleetApp('pos', {
        values: [
          { clusterSelector: { matchLabels: { region: 'us' } }, variables: { currency: 'USD' } },
        ],
      }),
    );

    await eventually('both stores have an Assignment', 60_000, async () => {
      return (
        (await fx.assignment(eu, 'pos')) !== undefined &&
        (await fx.assignment(us, 'pos')) !== undefined
      );
    });
    const a = await fx.assignment(eu, 'pos');
    const b = await fx.assignment(us, 'pos');
    expect(a?.spec?.['revision']).toBe(fx.firstSha);
    expect(
      (a?.spec?.['application'] as { source: { targetRevision: string } }).source.targetRevision,
    ).toBe(fx.firstSha);
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
    expect(await fx.assignment(depot, 'pos')).toBeUndefined();
    // What the apiserver stored (defaults and all) holds what the hub would write again, so a
    // reconcile writes nothing until something moves.
    const parsed = parseFleetApplication(await fx.get('FleetApplication', fx.appNs, 'pos'), {
      unknownFields: 'drop',
    });
    const euCluster = await fx.get('Cluster', fx.fleetNs, eu);
    if (parsed.kind !== 'ok' || euCluster === undefined) throw new Error('unreachable');
    const again = buildAssignment({
      fleetApplication: parsed.value,
      cluster: euCluster,
      revision: fx.firstSha,
      variables: clusterVariables(euCluster, parsed.value.spec.values).variables,
    });
    expect(holdsAssignment(a, again)).toBe(true);

    // The agents report: the FleetApplication and each Cluster aggregate it.
    if (a === undefined || b === undefined) throw new Error('unreachable');
    await fx.reportSynced(a, fx.firstSha);
    await fx.reportSynced(b, fx.firstSha);
    await eventually('the FleetApplication is Ready with 2 clusters synced', 30_000, async () => {
      const f = await fx.get('FleetApplication', fx.appNs, 'pos');
      return condition(f, 'Ready')?.status === 'True';
    });
    const f = await fx.get('FleetApplication', fx.appNs, 'pos');
    expect(f?.status?.['revision']).toBe(fx.firstSha);
    expect(f?.status?.['summary']).toMatchObject({
      total: 2,
      failing: 0,
      sync: { synced: 2 },
      health: { healthy: 2 },
    });
    expect(f?.status?.['clusters']).toEqual(
      [
        { name: eu, revision: fx.firstSha, sync: 'Synced', health: 'Healthy' },
        { name: us, revision: fx.firstSha, sync: 'Synced', health: 'Healthy' },
      ].sort((x, y) => (x.name < y.name ? -1 : 1)),
    );
    await eventually('the Cluster counts its synced app', 30_000, async () => {
      const c = await fx.get('Cluster', fx.fleetNs, eu);
      return (
        (c?.status?.['apps'] as { sync?: { synced?: number } } | undefined)?.sync?.synced === 1
      );
    });

    // A push moves every Assignment to the new commit, at the template's 2 s interval.
    await fx.repo.writeFile(
      'app/extra.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n',
    );
    const secondSha = await fx.repo.commit('one more object');
    await fx.repo.push();
    await eventually('both Assignments are pinned to the new commit', 30_000, async () => {
      return (
        (await fx.assignment(eu, 'pos'))?.spec?.['revision'] === secondSha &&
        (await fx.assignment(us, 'pos'))?.spec?.['revision'] === secondSha
      );
    });
    // Until both run it, the rollout of the new commit is what Ready reports.
    await eventually('the FleetApplication waits for the clusters again', 30_000, async () => {
      return (
        condition(await fx.get('FleetApplication', fx.appNs, 'pos'), 'Ready')?.reason ===
        'RolloutProgressing'
      );
    });

    // us leaves the placement: its Assignment goes, eu's stays.
    await fx.applyCluster(us, { tier: 'depot', region: 'us' });
    await eventually(
      "us's Assignment is deleted",
      30_000,
      async () => (await fx.assignment(us, 'pos')) === undefined,
    );
    expect(await fx.assignment(eu, 'pos')).toBeDefined();
    await eventually('the FleetApplication counts 1 cluster', 30_000, async () => {
      const s = (await fx.get('FleetApplication', fx.appNs, 'pos'))?.status?.['summary'] as
        { total?: number } | undefined;
      return s?.total === 1;
    });

    // Deleted: the finalizer removes its Assignments in the cluster namespaces, then lets it go.
    await fx.admin.delete({
      apiVersion: api,
      group: 'ballast.dev',
      kind: 'FleetApplication',
      namespace: fx.appNs,
      name: 'pos',
    });
    await eventually('the FleetApplication and its Assignments are gone', 30_000, async () => {
      return (
        (await fx.get('FleetApplication', fx.appNs, 'pos')) === undefined &&
        (await fx.assignment(eu, 'pos')) === undefined
      );
    });
  });

  it('stalls an invalid FleetApplication with the field path and writes no Assignments; a selector matching nothing is 0 clusters, not an error', async () => {
    const store = fx.name('lone');
    await fx.applyCluster(store, { tier: 'store', region: 'ap' });
    // The CRD cannot state this rule, so the apiserver stores it and the hub refuses it.
    await fx.admin.apply(
      fx.fleetApp('bad', { values: [{ clusterSelector: {}, variables: { cluster_region: 'x' } }] }),
    );
    // A tenant's file:// URL would read the hub's own disk: refused, and nothing is written.
    const local = fx.fleetApp('local', {});
    const spec = local as unknown as { spec: { template: { source: { repoURL: string } } } };
    spec.spec.template.source.repoURL = 'file:///etc';
    await fx.admin.apply(local);
    await fx.admin.apply(
      fx.fleetApp('nowhere', { placement: { clusterSelector: { matchLabels: { tier: 'moon' } } } }),
    );

    await eventually(
      'bad is Stalled',
      30_000,
      async () =>
        condition(await fx.get('FleetApplication', fx.appNs, 'bad'), 'Stalled')?.status === 'True',
    );
    const stalled = condition(await fx.get('FleetApplication', fx.appNs, 'bad'), 'Stalled');
    expect(stalled?.reason).toBe('InvalidSpec');
    expect(stalled?.message).toContain('spec.values[0].variables');
    expect(stalled?.message).toContain('cluster_region');
    await eventually('nowhere is Ready with 0 clusters', 30_000, async () => {
      const f = await fx.get('FleetApplication', fx.appNs, 'nowhere');
      return condition(f, 'Ready')?.reason === 'NoClustersSelected';
    });
    expect(
      (await fx.get('FleetApplication', fx.appNs, 'nowhere'))?.status?.['summary'],
    ).toMatchObject({
      total: 0,
      failing: 0,
    });
    await eventually('local is Stalled', 30_000, async () => {
      return (
        condition(await fx.get('FleetApplication', fx.appNs, 'local'), 'Stalled')?.reason ===
        'RevisionUnresolved'
      );
    });
    expect(
      condition(await fx.get('FleetApplication', fx.appNs, 'local'), 'Stalled')?.message,
    ).toContain('file://');
    expect(await fx.assignment(store, 'local')).toBeUndefined();
    // The lone store matches bad's selector, yet bad wrote nothing for it.
    expect(await fx.assignment(store, 'bad')).toBeUndefined();
    await fx.admin.delete({
      apiVersion: api,
      group: 'ballast.dev',
      kind: 'FleetApplication',
      namespace: fx.appNs,
      name: 'nowhere',
    });
  });

  it("turns an agent's Lease into its Cluster's Ready: Unknown before any Lease, True while renewed, HeartbeatMissed once it is stale, and shows that on the FleetApplication", async () => {
    const edge = fx.name('edge');
    const dead = fx.name('dead');
    await fx.applyCluster(edge, { tier: 'edge' }, { heartbeatTimeout: '5s' });
    await fx.applyCluster(dead, { tier: 'edge' }, { heartbeatTimeout: '5s' });
    await eventually(
      'edge awaits its agent',
      30_000,
      async () =>
        condition(await fx.get('Cluster', fx.fleetNs, edge), 'Ready')?.reason ===
        'AgentNotRegistered',
    );
    expect(condition(await fx.get('Cluster', fx.fleetNs, edge), 'Ready')?.status).toBe('Unknown');

    await fx.ensureNamespace(`ballast-cluster-${edge}`);
    await fx.ensureNamespace(`ballast-cluster-${dead}`);
    await fx.renewLease(dead, Date.now() - 600_000);
    await fx.renewLease(edge, Date.now());
    await eventually(
      'edge is Ready',
      30_000,
      async () => condition(await fx.get('Cluster', fx.fleetNs, edge), 'Ready')?.status === 'True',
    );
    expect((await fx.get('Cluster', fx.fleetNs, edge))?.status?.['lastHeartbeatTime']).toEqual(
      expect.any(String),
    );
    await eventually(
      'dead is HeartbeatMissed at once',
      30_000,
      async () =>
        condition(await fx.get('Cluster', fx.fleetNs, dead), 'Ready')?.reason === 'HeartbeatMissed',
    );

    await fx.admin.apply(
      fx.fleetApp('edge-app', {
        placement: { clusterSelector: { matchLabels: { tier: 'edge' } } },
      }),
    );
    // edge's agent stops renewing: after its 5 s timeout it is HeartbeatMissed too.
    await eventually('edge is HeartbeatMissed', 30_000, async () => {
      const ready = condition(await fx.get('Cluster', fx.fleetNs, edge), 'Ready');
      return ready?.status === 'False' && ready.reason === 'HeartbeatMissed';
    });
    expect(condition(await fx.get('Cluster', fx.fleetNs, edge), 'Ready')?.message).toMatch(
      /more than the 5 s heartbeat timeout$/,
    );
    await eventually('the FleetApplication lists both clusters as failing', 30_000, async () => {
      const failing = (await fx.get('FleetApplication', fx.appNs, 'edge-app'))?.status?.[
        'failing'
      ] as { cluster: string; reason: string }[] | undefined;
      return failing?.length === 2 && failing.every((x) => x.reason === 'HeartbeatMissed');
    });
    await fx.renewLease(edge, Date.now());
    await eventually(
      'edge is Ready again',
      30_000,
      async () => condition(await fx.get('Cluster', fx.fleetNs, edge), 'Ready')?.status === 'True',
    );
  });

  it('costs no Cluster status write per heartbeat: lastHeartbeatTime moves only after half the timeout', async () => {
    const calm = fx.name('calm');
    await fx.applyCluster(calm, { tier: 'calm' }, { heartbeatTimeout: '30s' });
    await fx.ensureNamespace(`ballast-cluster-${calm}`);
    await fx.renewLease(calm, Date.now());
    await eventually(
      'calm is Ready',
      30_000,
      async () => condition(await fx.get('Cluster', fx.fleetNs, calm), 'Ready')?.status === 'True',
    );
    const before = await fx.get('Cluster', fx.fleetNs, calm);
    for (let i = 1; i <= 3; i++) await fx.renewLease(calm, Date.now() + i);
    // Long enough for the hub to see the three renewals and act on them, far below 15 s.
    await new Promise((r) => setTimeout(r, 1_000));
    const after = await fx.get('Cluster', fx.fleetNs, calm);
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(after?.status?.['lastHeartbeatTime']).toBe(before?.status?.['lastHeartbeatTime']);
  });

  it("may read the agents' Leases by name and no other Lease: the apiserver refuses the hub a list of every Lease", async () => {
    const asHub = clusterFor(fx.hubKubeconfig);
    try {
      const leases = '/apis/coordination.k8s.io/v1';
      const all = await asHub.http.request('GET', `${leases}/leases`);
      expect(all.status, all.body).toBe(403);
      const nodes = await asHub.http.request('GET', `${leases}/namespaces/kube-node-lease/leases`);
      expect(nodes.status, nodes.body).toBe(403);
      const agents = await asHub.http.request(
        'GET',
        `${leases}/leases?fieldSelector=${encodeURIComponent('metadata.name=ballast-agent')}`,
      );
      expect(agents.status, agents.body).toBe(200);
    } finally {
      asHub.close();
    }
  });

  it('is installed by `ballast install --hub`, which prints the same CRDs and RBAC the hub ran with here, then its workload', async () => {
    const r = await runCli(['install', '--hub', '--print']);
    expect(r.code, r.stderr).toBe(0);
    const printed = parseAllDocuments(r.stdout).map((d) => d.toJS() as KubeObject);
    const rbac = hubManifests();
    expect(printed.slice(0, rbac.length)).toEqual(rbac);
    expect(printed.slice(rbac.length).map((o) => o.kind)).toEqual(['Service', 'Deployment']);
  });

  it("resolves a FleetApplication's revision at once on a signed push webhook, long before its interval", async () => {
    const store = fx.name('hooked');
    await fx.applyCluster(store, { tier: 'hooked' });
    const app = fx.fleetApp('hooked', { placement: { clusterNames: [store] } });
    const spec = app as unknown as { spec: { template: { syncPolicy: { interval: string } } } };
    spec.spec.template.syncPolicy.interval = '1h';
    await fx.admin.apply(app);
    const before = await fx.repo.head();
    await eventually('hooked has its Assignment', 30_000, async () => {
      return (await fx.assignment(store, 'hooked'))?.spec?.['revision'] === before;
    });
    const health = await fetch(`http://127.0.0.1:${String(fx.running.port)}/healthz`);
    expect(health.status).toBe(200);

    await fx.repo.writeFile(
      'app/hooked.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hooked\n',
    );
    const after = await fx.repo.commit('pushed with a webhook');
    await fx.repo.push();
    const body = JSON.stringify({ repoURL: fx.repoURL });
    const unsigned = await fetch(`http://127.0.0.1:${String(fx.running.port)}/hooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ballast-signature': 'sha256=00' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const signature = `sha256=${createHmac('sha256', fx.webhookSecret).update(body).digest('hex')}`;
    const hook = await fetch(`http://127.0.0.1:${String(fx.running.port)}/hooks/generic`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ballast-signature': signature },
      body,
    });
    expect(hook.status).toBeLessThan(300);
    await eventually('the Assignment moves to the pushed commit', 30_000, async () => {
      return (await fx.assignment(store, 'hooked'))?.spec?.['revision'] === after;
    });
  });

  it('deletes an Assignment whose FleetApplication is gone, as when its finalizer was removed by hand', async () => {
    const store = fx.name('orphan');
    await fx.applyCluster(store, { tier: 'orphan' });
    await fx.ensureNamespace(`ballast-cluster-${store}`);
    const ghost = parseFleetApplication({
      ...fx.fleetApp('ghost', {}),
      metadata: { name: 'ghost', namespace: fx.appNs, uid: 'gone' },
    });
    if (ghost.kind !== 'ok') throw ghost.error;
    const left = buildAssignment({
      fleetApplication: ghost.value,
      cluster: { metadata: { name: store } },
      revision: fx.firstSha,
      variables: {},
    });
    await fx.admin.apply(left);
    await eventually(
      'the orphaned Assignment is deleted',
      30_000,
      async () => (await fx.assignment(store, 'ghost')) === undefined,
    );
  });
});
