import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import type { ControllerProcess } from '../support/controller-process.js';
import {
  appName,
  auditedWrites,
  configMapApp,
  configMapRevisions,
  controllerIdentity,
  createApps,
  ledgerRecords,
  requestCount,
  requestsBetween,
  startNamespaceController,
  topKinds,
  untilAllSynced,
  waitsAfter429,
  type RequestCount,
} from '../support/many-apps.js';
import { startOwnControlPlane, type OwnControlPlane } from '../support/own-etcd.js';
import { tempDirs } from '../support/temp.js';

/**
 * Fault suite, scenario 4: the apiserver throttles. 200 Applications, one ConfigMap each, sync
 * from cold twice from one commit: once through an apiserver with its default limits, once
 * through an apiserver on the same etcd started with `--max-requests-inflight` and
 * `--max-mutating-requests-inflight` at 1 and priority and fairness off, so the max-inflight
 * filter answers 429 with `Retry-After: 1` to whatever does not fit. The controller signs in as
 * its ServiceAccount: the apiserver lets system:masters past its limits.
 *
 * The test reads and waits through the unthrottled apiserver, so the throttled one counts the
 * controller's requests alone.
 */
const count = 200;
const throttleFlags = [
  '--enable-priority-and-fairness=false',
  '--max-requests-inflight=1',
  '--max-mutating-requests-inflight=1',
];
/** Backoff shorter than the Retry-After of 1 s, so a retry at 1 s is the apiserver's wait. */
const retry = { duration: '250ms', factor: 2, maxDuration: '8s' };

interface Run {
  ns: string;
  controller: ControllerProcess;
  ledger: string;
  syncedMs: number;
  requests: RequestCount;
}

const temp = tempDirs();
let cp: OwnControlPlane;
let admin: Cluster;
let throttledAdmin: Cluster;
let git: GitServer;
let sha = '';
let repoURL = '';
let baselineKubeconfig = '';
let throttledKubeconfig = '';
let throttledAudit = '';
const runs: { baseline?: Run; throttled?: Run } = {};

beforeAll(async () => {
  const dir = await temp.make('ballast-throttle-');
  cp = await startOwnControlPlane();
  const [throttledApi] = await Promise.all([
    cp.addApiserver('throttled', throttleFlags),
    (async () => {
      git = await startGitServer({ auth: { users: [], tokens: [] }, allowPush: true, ssh: false });
      await createBareRepo(git, 'apps');
      const repo = await WorkingClone.clone({
        url: git.httpUrl('apps'),
        access: { kind: 'anonymous' },
      });
      for (let i = 0; i < count; i++)
        await repo.writeFile(`apps/${appName(i)}/app.yaml`, configMapApp(appName(i), 'one'));
      await repo.commit(`${count} apps`);
      await repo.push();
      sha = await repo.head();
      repoURL = git.httpUrl('apps');
      await repo.remove();
    })(),
  ]);
  admin = Cluster.connect({ kubeconfig: cp.kubeconfig });
  throttledAdmin = Cluster.connect({ kubeconfig: throttledApi.kubeconfig });
  throttledAudit = throttledApi.auditLog;
  baselineKubeconfig = await controllerIdentity(
    admin,
    cp.kubeconfig,
    join(dir, 'baseline.kubeconfig'),
  );
  throttledKubeconfig = await controllerIdentity(
    admin,
    throttledApi.kubeconfig,
    join(dir, 'throttled.kubeconfig'),
  );
  await Promise.all([
    createApps(admin, 'baseline', count, repoURL, retry),
    createApps(admin, 'throttled', count, repoURL, retry),
  ]);
});

afterAll(async () => {
  await runs.baseline?.controller.stop(3_000);
  await runs.throttled?.controller.stop(3_000);
  admin.close();
  throttledAdmin.close();
  await git.stop();
  await cp.stop();
  await temp.removeAll();
});

/** Starts a controller for `ns` through `kubeconfig`; resolves once all are Synced. */
async function syncAll(ns: string, kubeconfig: string, counter: Cluster): Promise<Run> {
  const before = await requestCount(counter);
  const { controller, ledger } = startNamespaceController(
    await temp.make(`ballast-${ns}-`),
    kubeconfig,
    ns,
  );
  const syncedMs = await untilAllSynced(admin, ns, count, sha, 100_000);
  const requests = requestsBetween(before, await requestCount(counter));
  return { ns, controller, ledger, syncedMs, requests };
}

const figure = (r: Run): string =>
  `${Math.round(r.syncedMs)} ms to all ${count} Synced and Healthy, ${r.requests.total} requests (${(r.requests.total / count).toFixed(1)} per app), ${r.requests.throttled} answered 429; most: ${topKinds(r.requests)}`;

describe('the apiserver throttles 200 Applications syncing at once', () => {
  it('unthrottled, 200 Applications sync from cold: the baseline', async () => {
    runs.baseline = await syncAll('baseline', baselineKubeconfig, admin);
    console.log(`faults: unthrottled: ${figure(runs.baseline)}`);
    // The baseline's controller stops, so the throttled run has the machine to itself.
    await runs.baseline.controller.stop(3_000);
  });

  it('throttled, all 200 are Synced and Healthy, every object whole at the commit, each change applied and recorded once', async () => {
    const run = await syncAll('throttled', throttledKubeconfig, throttledAdmin);
    runs.throttled = run;
    console.log(`faults: throttled: ${figure(run)}`);
    const cms = await configMapRevisions(admin, 'throttled');
    expect(cms.size).toBe(count);
    for (let i = 0; i < count; i++)
      expect(cms.get(appName(i))).toEqual({ label: 'one', data: { revision: 'one' } });
    // Each app's ConfigMap was created once, and that change is in the ledger. A pass whose
    // status write was throttled past its retries records the revision again when retried
    // (status behind the ledger), with nothing left to change.
    const applied = (await ledgerRecords(run.ledger)).filter((r) => r.kind === 'sync-applied');
    const changes = applied.flatMap((r) =>
      r.changes.map((c) => `${r.app.name} ${c.action} ${c.ref.kind}/${c.ref.name}`),
    );
    expect(changes.sort()).toEqual(
      Array.from({ length: count }, (_, i) => `${appName(i)} create ConfigMap/${appName(i)}`),
    );
    expect(applied.every((r) => r.revision === sha)).toBe(true);
    console.log(
      `faults: throttled: ${applied.length} sync-applied records for ${count} apps (${applied.length - count} repeated with no change after a throttled status write)`,
    );
  });

  it('every write the apiserver refused with 429 was sent again no sooner than its Retry-After of 1 s', async () => {
    const writes = (await auditedWrites(throttledAudit)).filter(
      (w) => w.namespace === 'throttled' && w.user.startsWith('system:serviceaccount:'),
    );
    const refused = writes.filter((w) => w.code === 429);
    const waits = waitsAfter429(writes);
    console.log(
      `faults: throttled: ${writes.length} writes audited, ${refused.length} answered 429; ${waits.length} sent again, after ${Math.min(...waits)}–${Math.max(...waits)} ms`,
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(waits.length).toBeGreaterThan(0);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(1_000);
  });

  it('the 429s were retried without a storm: a bounded ratio of requests against the unthrottled run', () => {
    const { baseline, throttled } = runs;
    if (baseline === undefined || throttled === undefined) throw new Error('a run is missing');
    // The limits bit: the apiserver refused some of the controller's requests.
    expect(throttled.requests.throttled).toBeGreaterThan(0);
    const ratio = throttled.requests.total / baseline.requests.total;
    console.log(
      `faults: requests throttled/unthrottled ${ratio.toFixed(2)} (${throttled.requests.total}/${baseline.requests.total}, ${throttled.requests.throttled} answered 429)`,
    );
    // Retrying a 429 at once, or re-running whole passes for each, costs several times this.
    expect(ratio).toBeLessThan(2);
  });
});
