import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../../src/dev/controlplane.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { stopApiserver } from '../support/apiserver.js';
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.js';
import { eventually, kubeFor } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

/**
 * Enough objects, each in a sync wave of its own so they are applied one after another, that
 * a sync takes seconds: long enough to interrupt it in the middle on purpose.
 */
const objects = 150;
const trackingLabel = 'ballast.dev/application';
const token = `tok_${randomBytes(12).toString('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The desired state: ConfigMaps whose data says which revision wrote them. */
function manifests(revision: string): string {
  return Array.from(
    { length: objects },
    (_, i) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-${String(i).padStart(3, '0')}
  annotations:
    ballast.dev/sync-wave: "${i}"
data:
  index: "${i}"
  revision: ${revision}
  payload: ${'x'.repeat(256)}
`,
  ).join('---\n');
}

let server: GitServer;
let repo: WorkingClone;
// Replica dirs hold each controller's source cache (read-only trees); removeAll copes with those.
const temp = tempDirs();
const processes: ControllerProcess[] = [];

beforeAll(async () => {
  server = await startGitServer({
    auth: { users: [], tokens: [token] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'ha');
  repo = await WorkingClone.clone({ url: server.httpUrl('ha'), access: { kind: 'bearer', token } });
  await repo.writeFile('app/cms.yaml', manifests('one'));
  await repo.commit('many objects');
  await repo.push();
});

afterEach(async () => {
  // Whatever a scenario started, even when it failed halfway, is stopped.
  await Promise.all(processes.splice(0).map((p) => p.stop(3_000)));
});

afterAll(async () => {
  try {
    await repo.remove();
    await server.stop();
  } finally {
    await temp.removeAll();
  }
});

/** One test's cluster, namespace, Application and controller replicas. */
class Scenario {
  readonly ns = `ha-${randomBytes(3).toString('hex')}`;
  readonly cluster: Cluster;

  constructor(readonly kubeconfig: string) {
    this.cluster = Cluster.connect({ kubeconfig });
  }

  async prepare(): Promise<void> {
    await waitForCrds(this.cluster, [await this.cluster.apply(applicationCrd())], 30_000);
    await this.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.ns } });
    await this.cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'repo-creds', namespace: this.ns },
      data: { token: Buffer.from(token).toString('base64') },
    });
  }

  /** A replica of `ballast controller --leader-elect` on this namespace's Lease. */
  async replica(name: string, timings: readonly string[]): Promise<ControllerProcess> {
    const dir = await temp.make(`ballast-ha-${name}-`);
    const p = startControllerProcess(join(dir, 'controller.log'), [
      ...['--kubeconfig', this.kubeconfig, '-n', this.ns, '--cache-dir', join(dir, 'cache')],
      ...['--port', '0', '--bind-address', '127.0.0.1', '--log-level', 'debug'],
      ...['--leader-elect', '--lease-namespace', this.ns, ...timings],
    ]);
    processes.push(p);
    return p;
  }

  async createApp(): Promise<void> {
    await this.cluster.apply({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'many', namespace: this.ns },
      spec: {
        source: {
          repoURL: server.httpUrl('ha'),
          targetRevision: 'main',
          path: 'app',
          secretRef: { name: 'repo-creds' },
          insecureAllowHttpCredentials: true,
        },
        destination: { namespace: this.ns },
        syncPolicy: { automated: { prune: true, selfHeal: true }, drift: 'heal', interval: '1h' },
      },
    });
  }

  /** The desired ConfigMaps that carry this Application's tracking label (not its inventory). */
  async managed(): Promise<KubeObject[]> {
    const info = await this.cluster.discovery.resolve('v1', 'ConfigMap');
    if (info === undefined) throw new Error('ConfigMap does not resolve');
    const labelled = await this.cluster.list(info, {
      namespace: this.ns,
      labelSelector: `${trackingLabel}=${this.ns}.many`,
    });
    return labelled.filter((o) => o.metadata.name.startsWith('cm-'));
  }

  async app(): Promise<Application | undefined> {
    return (await this.cluster.get({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'many', namespace: this.ns },
    })) as Application | undefined;
  }

  /** Synced at the pushed commit, with every object recorded. */
  async converged(): Promise<boolean> {
    const a = await this.app();
    return (
      a?.status?.sync?.status === 'Synced' &&
      a.status.sync.revision === (await repo.head()) &&
      a.status.resources?.length === objects &&
      (await this.managed()).length === objects
    );
  }

  /** Every object exists with the whole desired data, the tracking label and our field manager. */
  async expectFullyApplied(): Promise<void> {
    const live = new Map((await this.managed()).map((o) => [o.metadata.name, o]));
    expect(live.size).toBe(objects);
    for (let i = 0; i < objects; i++) {
      const o = live.get(`cm-${String(i).padStart(3, '0')}`);
      expect(o?.data).toEqual({ index: String(i), revision: 'one', payload: 'x'.repeat(256) });
      expect(o?.metadata.labels?.[trackingLabel]).toBe(`${this.ns}.many`);
      const managers = (o?.metadata.managedFields as { manager?: string }[] | undefined) ?? [];
      expect(managers.map((m) => m.manager)).toContain('ballast');
    }
  }

  async leaseHolder(): Promise<string | undefined> {
    const lease = await this.cluster.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ballast-controller', namespace: this.ns },
    });
    return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
  }

  async close(): Promise<void> {
    await this.cluster.http
      .request('DELETE', `/api/v1/namespaces/${this.ns}`)
      .catch(() => undefined);
    this.cluster.close();
  }
}

/** Waits until the leader is part-way through the sync: some objects exist, not all. */
async function midSync(s: Scenario): Promise<void> {
  await eventually('the leader has applied some of the objects', 90_000, async () => {
    return (await s.managed()).length >= 10;
  });
}

const fast = ['--lease-duration', '4s', '--renew-deadline', '3s', '--retry-period', '500ms'];

describe('two controller replicas on one Lease', () => {
  let s: Scenario;

  beforeAll(async () => {
    s = new Scenario(inject('controlPlane').clusters[2]?.kubeconfig ?? '');
    await s.prepare();
  });

  afterAll(async () => {
    await s.close();
  });

  it('when the leader is SIGKILLed mid-sync, the other takes over and the app converges with no object half-applied', async () => {
    const a = await s.replica('a', fast);
    await eventually('replica a leads', 30_000, () => a.logged('started leading'));
    const b = await s.replica('b', fast);
    await eventually('replica b follows a', 30_000, async () =>
      (await b.lines()).some((l) => l.msg === 'following' && l.leader === a.identity),
    );
    expect(await b.logged('started leading')).toBe(false);

    await s.createApp();
    await midSync(s);
    a.kill();
    // The kill landed in the middle of the sync: part of the objects exist, not all.
    const atKill = (await s.managed()).length;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(objects);
    expect(await b.logged('started leading')).toBe(false);

    await eventually('replica b takes over', 30_000, () => b.logged('started leading'));
    expect(await s.leaseHolder()).toBe(b.identity);
    await eventually('the app is Synced at the pushed commit', 120_000, () => s.converged());
    await s.expectFullyApplied();
    expect(a.alive()).toBe(false);
    expect(b.alive()).toBe(true);
  }, 300_000);
});

describe('an apiserver restart', () => {
  let state: string;
  let s: Scenario;

  beforeAll(async () => {
    // Its own control plane: restarting a shared apiserver would fail other files' tests.
    // devDown removes it, but not when devUp failed: then the file's afterAll does.
    state = await temp.make('ballast-ha-cp-');
    const up = await devUp({ ...defaultUpOptions(state), clusters: 1 });
    s = new Scenario(up.state.clusters[0]?.kubeconfig ?? '');
    await s.prepare();
  });

  afterAll(async () => {
    s.cluster.close();
    await devDown(state);
  });

  it('during a reconcile ends converged, and the controller neither crashes nor exits', async () => {
    // A renew deadline longer than the outage: the leader keeps its lease through a restart.
    const timings = ['--lease-duration', '60s', '--renew-deadline', '45s', '--retry-period', '2s'];
    const c = await s.replica('solo', timings);
    await eventually('the controller leads', 30_000, () => c.logged('started leading'));
    await s.createApp();
    await midSync(s);

    const down = await stopApiserver(state, 'cluster-1');
    expect((await s.managed().catch(() => undefined)) === undefined).toBe(true);
    await sleep(1_000);
    await down.start();
    const kube = await kubeFor(s.kubeconfig);
    await eventually('the apiserver is ready again', 90_000, async () => {
      return (await kube.get('/readyz').catch(() => ({ status: 0 }))).status === 200;
    });

    await eventually('the app is Synced at the pushed commit', 180_000, () => s.converged());
    await s.expectFullyApplied();
    expect(c.alive()).toBe(true);
    const lines = await c.lines();
    expect(lines.filter((l) => l.level === 'fatal' || l.level === 'error')).toEqual([]);
    expect(lines.filter((l) => l.msg === 'started leading')).toHaveLength(1);
  }, 300_000);
});
