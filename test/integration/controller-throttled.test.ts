import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { Condition } from '../../src/api/application.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { createLogger } from '../../src/reconcile/log.js';
import { holdReadSlot, startExtraApiserver, type ExtraApiserver } from '../support/apiserver.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';

/** One JSON log line of the controller. */
interface LogLine {
  msg: string;
  key?: string;
  outcome?: string;
  requeueInMs?: number;
  reason?: string;
  err?: string;
}

const lines: LogLine[] = [];
const logger = createLogger({
  level: 'debug',
  destination: {
    write: (s: string) => {
      lines.push(JSON.parse(s) as LogLine);
    },
  },
});

let kube: TestKube;
let throttled: ExtraApiserver;
let controllerCluster: Cluster;
let fx: ControllerFixture;
/** Holds about 14 MB of ConfigMaps: one LIST of it outlasts the socket buffers. */
let bulkNs: string;
/** Where the controller's ServiceAccount lives; bound to cluster-admin for this test only. */
let saNs: string;
const binding = `ballast-throttled-${randomBytes(3).toString('hex')}`;

async function must(what: string, r: Promise<{ status: number; body: string }>): Promise<string> {
  const { status, body } = await r;
  if (status < 200 || status > 299) throw new Error(`${what}: ${status} ${body}`);
  return body;
}

/** A token for a ServiceAccount with cluster-admin: outside system:masters, so throttled. */
async function controllerToken(): Promise<string> {
  saNs = await testNamespace(kube, 'throttle-sa');
  await must(
    'ClusterRoleBinding',
    kube.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: binding },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: saNs }],
    }),
  );
  const body = await must(
    'TokenRequest',
    kube.post(`/api/v1/namespaces/${saNs}/serviceaccounts/default/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    }),
  );
  return (JSON.parse(body) as { status: { token: string } }).status.token;
}

beforeAll(async () => {
  const plane = inject('controlPlane');
  const first = plane.clusters[0];
  if (first === undefined) throw new Error('no test cluster');
  kube = await kubeFor(first.kubeconfig);
  // The max-inflight filter, not priority and fairness: it refuses at once, with Retry-After: 1.
  throttled = await startExtraApiserver(plane.stateDir, first.name, [
    '--enable-priority-and-fairness=false',
    '--max-requests-inflight=1',
    '--max-mutating-requests-inflight=1',
  ]);
  controllerCluster = Cluster.connect({
    kubeconfig: await throttled.kubeconfigFor(await controllerToken()),
  });
  bulkNs = await testNamespace(kube, 'throttle-bulk');
  for (let i = 0; i < 16; i++)
    await must(
      `bulk ConfigMap ${i}`,
      kube.post(`/api/v1/namespaces/${bulkNs}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `bulk-${i}` },
        data: { filler: 'x'.repeat(900_000) },
      }),
    );
  fx = await startControllerFixture({ clusterIndex: 0, controllerCluster, controller: { logger } });
  await fx.repo.writeFile(
    'app/cm.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n',
  );
  await fx.repo.commit('one ConfigMap');
  await fx.repo.push();
});

afterAll(async () => {
  await fx.stop();
  controllerCluster.close();
  await throttled.stop();
  await kube.del(`/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${binding}`);
  await kube.del(`/api/v1/namespaces/${bulkNs}`);
  await kube.del(`/api/v1/namespaces/${saNs}`);
});

describe('a controller whose apiserver throttles it', () => {
  it('reports a 429 storm as Throttled, retries no sooner than Retry-After with growing backoff, never as a bug, and syncs once it passes', async () => {
    const key = `${fx.ns}/storm`;
    const seen: Condition[] = [];
    const watchConditions = async (): Promise<Condition[]> => {
      const conditions = (await fx.app('storm'))?.status?.conditions ?? [];
      seen.push(...conditions);
      return conditions;
    };
    // Held once the controller's own account is refused a read, with Retry-After: 1.
    const slot = await holdReadSlot(
      throttled.admin,
      `/api/v1/namespaces/${bulkNs}/configmaps`,
      async () => {
        const r = await controllerCluster.http.request(
          'GET',
          `/api/v1/namespaces/${fx.ns}/secrets`,
        );
        return r.status === 429 && r.retryAfter === '1';
      },
    );
    try {
      await fx.cluster.apply(
        fx.application('storm', 'app', {
          syncPolicy: {
            automated: { prune: true },
            interval: '1h',
            // A backoff shorter than the apiserver's Retry-After, and a limit the storm outlasts.
            retry: { limit: 1, backoff: { duration: '200ms', factor: 2, maxDuration: '1m' } },
          },
        }),
      );
      await eventually('Ready is False with reason Throttled', 60_000, async () => {
        const ready = (await watchConditions()).find((c) => c.type === 'Ready');
        return ready?.status === 'False' && ready.reason === 'Throttled';
      });
      const ready = seen.find((c) => c.reason === 'Throttled');
      expect(ready?.message).toMatch(
        /^the apiserver is throttling requests, retrying with backoff: .*429/,
      );
      await eventually('five throttled passes were retried', 60_000, async () => {
        await watchConditions();
        return retriesOf(key).length >= 5;
      });
    } finally {
      slot.release();
    }
    await eventually(
      'Ready is True with reason Synced once the storm is over',
      90_000,
      async () => {
        const ready = (await watchConditions()).find((c) => c.type === 'Ready');
        return ready?.status === 'True' && ready.reason === 'Synced';
      },
    );
    const cm = await fx.get('v1', 'ConfigMap', 'settings');
    expect(cm?.['data']).toEqual({ mode: 'fast' });

    // Every retry waited at least the Retry-After of 1 s, though the backoff began at 200 ms,
    // and the backoff grew past it as the failures went on.
    const delays = retriesOf(key).map((l) => l.requeueInMs ?? 0);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...delays)).toBeGreaterThan(1_000);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    // Throttling is retried as long as it lasts: the retry limit of 1 never stalled it.
    expect(seen.filter((c) => c.type === 'Stalled' && c.status === 'True')).toEqual([]);
    // Never a bug, never an unexplained failure.
    const mine = lines.filter((l) => l.key === key);
    expect(mine.filter((l) => l.msg === 'reconcile did not finish')).toEqual([]);
    const failedReasons = new Set(
      mine.filter((l) => l.msg === 'reconcile failed').map((l) => l.reason),
    );
    expect([...failedReasons]).toEqual(['Throttled']);
    const { body } = await fx.controller.metrics.scrape();
    expect(body).toMatch(/ballast_sync_results_total\{result="failed",reason="Throttled"\} [1-9]/);
    expect(body).not.toMatch(/reason="(ReconcilePanicError|ReconcileError|Other)"/);
  });
});

/** The runner's "reconcile finished" lines for retried runs of `key`. */
function retriesOf(key: string): LogLine[] {
  return lines.filter(
    (l) => l.key === key && l.msg === 'reconcile finished' && l.outcome === 'retry',
  );
}
