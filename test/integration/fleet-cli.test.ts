import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import {
  clusterNamespace,
  type AssignmentStatus,
  type ClusterStatus,
  type FleetApplication,
} from '../../src/fleet/index.js';
import { sha1, sha2 } from '../../src/fleet/testdata/fixtures.js';
import { runCli, type CliResult } from '../support/cli.js';
import {
  assign,
  createCluster,
  createFleetApp,
  installFleetCrds,
  serviceAccountKubeconfig,
} from '../support/fleet-hub.js';
import { kubeFor, testNamespace, type TestKube } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

/*
 * The hub's objects are written by hand, statuses included, as the hub controller and the
 * agents would write them: this file tests what `ballast fleet` reads and prints.
 */

const id = randomBytes(3).toString('hex');
const stores = ['store-1', 'store-2', 'store-3', 'store-4'].map((s) => `cli${id}-${s}`);
const [s1, s2, s3, s4] = stores as [string, string, string, string];
const t = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

let kube: TestKube;
let kubeconfig: string;
let fleetNs: string;
let tenantNs: string;
const namespaces: string[] = [];
const temp = tempDirs();

const ballast = (...args: string[]): Promise<CliResult> =>
  runCli(['fleet', ...args, '--kubeconfig', kubeconfig, '--fleet-namespace', fleetNs]);

const ready = (status: 'True' | 'False', reason: string, message: string) => ({
  type: 'Ready' as const,
  status,
  reason,
  message,
  lastTransitionTime: t,
});

const apps = (total: number, synced: number, healthy: number) => ({
  total,
  sync: { synced, outOfSync: total - synced, unknown: 0 },
  health: {
    healthy,
    suspended: 0,
    progressing: 0,
    unknown: 0,
    missing: 0,
    degraded: total - healthy,
  },
});

const reported = (
  sync: 'Synced' | 'OutOfSync',
  health: 'Healthy' | 'Degraded',
): AssignmentStatus => ({
  sync: { status: sync, revision: sha1 },
  health: {
    status: health,
    message: health === 'Degraded' ? 'Deployment pos/web: 0/3 ready' : '',
  },
  lastSyncedRevision: sha1,
});

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  kube = await kubeFor(kubeconfig);
  await installFleetCrds(kube);
  fleetNs = await testNamespace(kube, 'fleet-cli');
  tenantNs = await testNamespace(kube, 'fleet-tenant');
  namespaces.push(fleetNs, tenantNs, ...stores.map(clusterNamespace));
  const heartbeat = new Date(Date.now() - 5_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const seen = (healthy: number): ClusterStatus => ({
    conditions: [ready('True', 'HeartbeatRenewed', 'the agent renewed its Lease')],
    registered: true,
    agentVersion: '0.9.0',
    kubernetesVersion: 'v1.36.3',
    lastHeartbeatTime: heartbeat,
    apps: apps(1, 1, healthy),
  });
  const eu = { tier: 'store', region: 'eu' };
  await createCluster(kube, fleetNs, { name: s1, labels: eu, status: seen(1) });
  await createCluster(kube, fleetNs, { name: s2, labels: eu, status: seen(1) });
  const us = { tier: 'store', region: 'us' };
  await createCluster(kube, fleetNs, { name: s3, labels: us, status: seen(0) });
  await createCluster(kube, fleetNs, { name: s4, labels: eu, status: {} });

  const app = await createFleetApp(kube, fleetNs, {
    observedGeneration: 1,
    revision: sha1,
    conditions: [ready('False', 'ClustersFailing', `1 of 4 clusters is failing: ${s3}`)],
    summary: { ...apps(4, 3, 2), failing: 1 },
    clusters: stores.map((name) => ({ name, sync: 'Unknown', health: 'Unknown' })),
  });
  const revision = sha1;
  await assign(kube, { app, cluster: s1, revision, status: reported('Synced', 'Healthy') });
  await assign(kube, { app, cluster: s2, revision, status: reported('Synced', 'Healthy') });
  await assign(kube, { app, cluster: s3, revision, status: reported('Synced', 'Degraded') });
  // s4 was placed, but the hub has not written its Assignment yet.

  // The same name in a tenant's namespace: its Assignment must not show up as pos's above.
  const other = await createFleetApp(kube, tenantNs, {
    observedGeneration: 1,
    revision: sha2,
    clusters: [{ name: s1, sync: 'OutOfSync', health: 'Degraded', revision: sha1 }],
    failing: [{ cluster: s1, reason: 'Degraded', message: 'Deployment pos/web: 0/3 ready' }],
  });
  const status = reported('OutOfSync', 'Degraded');
  await assign(kube, { app: other, cluster: s1, revision, status });
}, 120_000);

afterAll(async () => {
  for (const ns of namespaces) await kube.del(`/api/v1/namespaces/${ns}`);
  await temp.removeAll();
});

/** The tenant's ServiceAccount, which may read only the FleetApplications of its namespace. */
const tenantKubeconfig = async (): Promise<string> =>
  serviceAccountKubeconfig(kube, {
    adminKubeconfig: kubeconfig,
    namespace: tenantNs,
    rules: [
      { apiGroups: ['ballast.dev'], resources: ['fleetapplications'], verbs: ['get', 'list'] },
    ],
    dir: await temp.make('ballast-fleet-tenant-'),
  });

describe('ballast fleet list and get', () => {
  it('lists the FleetApplications of --fleet-namespace as kubectl does, and -A every namespace', async () => {
    const list = await ballast('list');
    expect([list.code, list.stderr]).toEqual([0, '']);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]?.split(/\s+/)).toEqual([
      'NAME',
      'CLUSTERS',
      'SYNCED',
      'HEALTHY',
      'REVISION',
      'READY',
      'AGE',
    ]);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 6))).toEqual([
      ['pos', '4', '3', '2', sha1.slice(0, 12), 'False'],
    ]);

    const all = await ballast('get', '-A', '-o', 'wide');
    expect(all.code).toBe(0);
    const rows = all.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(
      /^NAMESPACE\s+NAME\s+CLUSTERS\s+SYNCED\s+HEALTHY\s+FAILING\s+REVISION\s+READY\s+MESSAGE\s+AGE$/,
    );
    const mine = rows.filter((r) => r.startsWith(`${fleetNs} `) || r.startsWith(`${tenantNs} `));
    // fleet-cli-… sorts before fleet-tenant-…
    expect(mine.map((r) => r.split(/\s+/).slice(0, 2))).toEqual([
      [fleetNs, 'pos'],
      [tenantNs, 'pos'],
    ]);
    expect(rows.find((r) => r.startsWith(`${fleetNs} `))).toContain(
      `1 of 4 clusters is failing: ${s3}`,
    );
  });

  it('gets one FleetApplication by name, from -n, as json, yaml and name', async () => {
    const json = await ballast('get', 'pos', '-n', tenantNs, '-o', 'json');
    expect(json.code).toBe(0);
    const got = JSON.parse(json.stdout) as FleetApplication;
    expect([got.metadata.namespace, got.metadata.name, got.status?.revision]).toEqual([
      tenantNs,
      'pos',
      sha2,
    ]);
    const yaml = await ballast('get', 'pos', '-o', 'yaml');
    expect((parse(yaml.stdout) as FleetApplication).status?.summary?.total).toBe(4);
    const name = await ballast('list', '-o', 'name');
    expect(name.stdout).toBe('fleetapplication.ballast.dev/pos\n');
    const table = await ballast('get', 'pos', '-n', tenantNs);
    // A table of one, as kubectl get prints it; its hub has written no counts yet.
    const [header, row, ...more] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+CLUSTERS\s+SYNCED\s+HEALTHY\s+REVISION\s+READY\s+AGE$/);
    expect(row?.split(/\s+/).slice(0, 2)).toEqual(['pos', sha2.slice(0, 12)]);
    expect(more).toEqual([]);
  });

  it('a missing FleetApplication is an error naming it and its namespace, exit 2', async () => {
    const r = await ballast('get', 'till');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`FleetApplication till: not found in namespace ${fleetNs}`);
    expect(r.stderr).toContain('ballast fleet list -A');
  });

  it('usage errors exit 2: a name with -A, a format list does not have', async () => {
    const both = await ballast('get', 'pos', '-A');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('-A lists every namespace');
    const format = await ballast('list', '-o', 'xml');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("argument 'xml' is invalid");
  });

  it('an empty namespace lists nothing, says so on stderr, and exits 0', async () => {
    const empty = await testNamespace(kube, 'fleet-empty');
    namespaces.push(empty);
    const r = await ballast('list', '-n', empty);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: `No FleetApplications found in namespace ${empty}.\n`,
    });
    expect(JSON.parse((await ballast('list', '-n', empty, '-o', 'json')).stdout)).toEqual([]);
  });
});

describe('ballast fleet status', () => {
  it('prints a row per cluster from its Assignments, the placed cluster without one, and the summary', async () => {
    const r = await ballast('status', 'pos');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]?.split(/\s+/)).toEqual(['CLUSTER', 'SYNC', 'HEALTH', 'REVISION', 'MESSAGE']);
    const short = sha1.slice(0, 12);
    expect(lines.slice(1, 5).map((l) => l.split(/\s{2,}/))).toEqual([
      [s1, 'Synced', 'Healthy', short],
      [s2, 'Synced', 'Healthy', short],
      [s3, 'Synced', 'Degraded', short, 'Degraded: Deployment pos/web: 0/3 ready'],
      [s4, 'Unknown', 'Unknown', 'Pending: the hub has not written its Assignment yet'],
    ]);
    expect(lines[5]).toBe(
      `4 clusters: 3 Synced, 1 Unknown sync; 2 Healthy, 1 Unknown health, 1 Degraded (pinned ${short})`,
    );
    expect(lines).toHaveLength(6);
  });

  it('exits 0 once read, and 1 with --exit-code while a cluster is not Synced and Healthy', async () => {
    expect((await ballast('status', 'pos', '--exit-code')).code).toBe(1);
    const r = await ballast('status', 'pos', '-o', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      fleetApplication: { namespace: string; name: string };
      clusters: { cluster: string; sync: string; health: string; reason?: string }[];
      summary: { total: number; sync: { synced: number } };
      source: string;
    };
    expect(report.fleetApplication).toEqual({ namespace: fleetNs, name: 'pos' });
    expect(report.source).toBe('assignments');
    expect(report.summary.total).toBe(4);
    expect(report.summary.sync.synced).toBe(3);
    expect(report.clusters.map((c) => c.reason)).toEqual([
      undefined,
      undefined,
      'Degraded',
      'Pending',
    ]);
  });

  it("the tenant's FleetApplication of the same name shows only its own Assignment", async () => {
    const r = await ballast('status', 'pos', '-n', tenantNs);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(1, -1).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
      [s1, 'OutOfSync', 'Degraded'],
    ]);
    expect(lines.at(-1)).toMatch(/^1 cluster: 1 OutOfSync; 1 Degraded/);
  });

  it("a tenant who may read only its own FleetApplications gets the hub's aggregate, and is told so", async () => {
    const tenant = await tenantKubeconfig();
    const r = await runCli(['fleet', 'status', 'pos', '-n', tenantNs, '--kubeconfig', tenant]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(/\s{2,}/)),
    ).toEqual([
      [
        "From the FleetApplication's status, as the hub aggregated it: this identity may not list Assignments.",
      ],
      ['CLUSTER', 'SYNC', 'HEALTH', 'REVISION', 'MESSAGE'],
      [s1, 'OutOfSync', 'Degraded', sha1.slice(0, 12), 'Degraded: Deployment pos/web: 0/3 ready'],
      [`1 cluster: 1 OutOfSync; 1 Degraded (pinned ${sha2.slice(0, 12)})`],
    ]);
    // Listing the Clusters is the hub operator's: the apiserver's refusal is the error.
    const clusters = await runCli(['fleet', 'clusters', '--kubeconfig', tenant]);
    expect(clusters.code).toBe(2);
    expect(clusters.stderr).toContain('Cluster list: list failed: 403 Forbidden');
  });

  it('a missing FleetApplication is an error naming it and its namespace, exit 2', async () => {
    const r = await ballast('status', 'till', '-n', tenantNs);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`FleetApplication till: not found in namespace ${tenantNs}`);
  });
});

describe('ballast fleet clusters', () => {
  it('lists NAME READY LABELS AGENT LAST-SEEN APPS, through --context of a merged kubeconfig', async () => {
    const merged = inject('controlPlane').kubeconfig;
    const r = await runCli([
      'fleet',
      'clusters',
      '--kubeconfig',
      merged,
      '--context',
      'cluster-1',
      '--fleet-namespace',
      fleetNs,
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(lines[0]).toEqual(['NAME', 'READY', 'LABELS', 'AGENT', 'LAST-SEEN', 'APPS']);
    expect(lines.slice(1, 4).map((l) => [l[0], l[1], l[2], l[3], l[5]])).toEqual([
      [s1, 'True', 'region=eu,tier=store', '0.9.0', '1/1 synced, 1/1 healthy'],
      [s2, 'True', 'region=eu,tier=store', '0.9.0', '1/1 synced, 1/1 healthy'],
      [s3, 'True', 'region=us,tier=store', '0.9.0', '1/1 synced, 0/1 healthy'],
    ]);
    for (const l of lines.slice(1, 4)) expect(l[4]).toMatch(/^\d+s$/);
    // Registered by hand with no status: no Ready, agent or apps yet, never seen.
    expect(lines[4]).toEqual([s4, 'region=eu,tier=store', '<never>']);
    expect(lines).toHaveLength(5);
  });

  it('-l selects by label; a selector matching nothing shows 0 clusters and is not an error', async () => {
    const us = await ballast('clusters', '-l', 'region=us', '-o', 'name');
    expect([us.code, us.stdout]).toEqual([0, `cluster.ballast.dev/${s3}\n`]);
    const none = await ballast('clusters', '-l', 'region=mars');
    expect(none).toEqual({
      code: 0,
      stdout: '',
      stderr: `No Clusters found in namespace ${fleetNs} matching region=mars.\n`,
    });
    expect(
      JSON.parse((await ballast('clusters', '-l', 'region=mars', '-o', 'json')).stdout),
    ).toEqual([]);
    const wide = await ballast('clusters', '-l', 'region=us', '-o', 'wide');
    expect(wide.stdout.split('\n')[1]).toContain('v1.36.3');
    expect(wide.stdout.split('\n')[1]).toContain('the agent renewed its Lease');
  });

  it('a malformed selector is refused by the apiserver and exits 2', async () => {
    const r = await ballast('clusters', '-l', 'region in (eu');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Cluster list: list failed: 400');
  });
});
