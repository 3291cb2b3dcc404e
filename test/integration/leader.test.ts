import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import type { HttpResponse } from '../../src/cluster/http.js';
import { LeadershipLostError } from '../../src/reconcile/errors.js';
import { LeaderElector, type LeaderElectionInput } from '../../src/reconcile/leader.js';
import type { Lease, LeaseHttp } from '../../src/reconcile/lease.js';
import { parseMicroTime } from '../../src/reconcile/microtime.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';

/** Short timings so a takeover is seconds away, with the same proportions as the defaults. */
const fast = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One replica: an elector on its own connection, and when its terms started and stopped. */
interface Contender {
  identity: string;
  elector: LeaderElector;
  started: number[];
  stopped: number[];
  signals: AbortSignal[];
  cluster: Cluster;
}

describe('leader election on a real Lease', () => {
  const kubeconfig = inject('controlPlane').clusters[2]?.kubeconfig;
  let kube: TestKube;
  let namespace: string;
  const contenders: Contender[] = [];

  beforeAll(async () => {
    if (kubeconfig === undefined) throw new Error('leader tests need cluster-3 (3 clusters)');
    kube = await kubeFor(kubeconfig);
    namespace = await testNamespace(kube, 'leader');
  });

  afterEach(async () => {
    // Stop every replica a test started, even when it failed halfway.
    for (const c of contenders.splice(0)) {
      await c.elector.abandon();
      c.cluster.close();
    }
  });

  afterAll(async () => {
    await kube.del(`/api/v1/namespaces/${namespace}`);
  });

  const leasePath = (name: string): string =>
    `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
  const readLease = (name: string): Promise<Lease> => kube.json<Lease>(leasePath(name));
  const microTime = (text: string | undefined): number => parseMicroTime(text ?? '') ?? NaN;

  /** Starts a replica; `wrap` lets a test put fault injection around the real client. */
  function contend(
    identity: string,
    leaseName: string,
    timings: Partial<LeaderElectionInput>,
    wrap: (http: LeaseHttp) => LeaseHttp = (http) => http,
  ): Contender {
    const cluster = Cluster.connect({ kubeconfig: kubeconfig ?? '', requestTimeoutMs: 1000 });
    const c: Contender = {
      identity,
      cluster,
      started: [],
      stopped: [],
      signals: [],
      elector: LeaderElector.start(wrap(cluster.http), {
        leaseName,
        namespace,
        identity,
        ...timings,
        onStartedLeading: (signal) => {
          c.started.push(Date.now());
          c.signals.push(signal);
        },
        onStoppedLeading: () => c.stopped.push(Date.now()),
      }),
    };
    contenders.push(c);
    return c;
  }

  it('exactly one of two electors leads', async () => {
    const a = contend('replica-a', 'one-leader', fast);
    const b = contend('replica-b', 'one-leader', fast);
    await eventually('one of the two leads', 10_000, () =>
      Promise.resolve(a.elector.isLeader() || b.elector.isLeader()),
    );
    const leader = a.elector.isLeader() ? a : b;
    // Two full lease durations of renewals: never both, never a change of hands.
    const until = Date.now() + 2 * fast.leaseDurationMs;
    while (Date.now() < until) {
      expect([a, b].filter((c) => c.elector.isLeader()).map((c) => c.identity)).toEqual([
        leader.identity,
      ]);
      await sleep(50);
    }
    expect(a.started.length + b.started.length).toBe(1);
    expect(a.stopped.length + b.stopped.length).toBe(0);
    expect(b.elector.leader()).toBe(leader.identity);
    expect(a.elector.leader()).toBe(leader.identity);
    const lease = await readLease('one-leader');
    expect(lease.spec.holderIdentity).toBe(leader.identity);
    expect(lease.spec.leaseDurationSeconds).toBe(3);
    expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // Renewed every retry period: the last renewal is at most a period (plus a request) old.
    expect(Date.now() - microTime(lease.spec.renewTime)).toBeLessThan(fast.retryPeriodMs + 1000);
  });

  it('when the leader stops renewing, the other takes over within the lease duration', async () => {
    const a = contend('replica-a', 'crash', fast);
    await eventually('replica-a leads', 10_000, () => Promise.resolve(a.elector.isLeader()));
    const b = contend('replica-b', 'crash', fast);
    await eventually('replica-b sees replica-a lead', 5_000, () =>
      Promise.resolve(b.elector.leader() === 'replica-a'),
    );
    expect(b.elector.isLeader()).toBe(false);

    // A simulated crash: the renew loop stops, the lease is left as it was.
    const crashedAt = Date.now();
    await a.elector.abandon();
    const lastRenewal = microTime((await readLease('crash')).spec.renewTime);
    expect(lastRenewal).toBeLessThanOrEqual(crashedAt + 50);

    await eventually('replica-b leads', 10_000, () => Promise.resolve(b.elector.isLeader()));
    const tookOverAt = b.started[0] ?? NaN;
    // Not before the lease expired, and within one retry period (plus a request) after.
    expect(tookOverAt).toBeGreaterThan(lastRenewal + fast.leaseDurationMs);
    expect(tookOverAt - crashedAt).toBeLessThan(fast.leaseDurationMs + fast.retryPeriodMs + 1000);
    const lease = await readLease('crash');
    expect(lease.spec.holderIdentity).toBe('replica-b');
    expect(microTime(lease.spec.acquireTime)).toBeGreaterThan(lastRenewal + fast.leaseDurationMs);
    expect(lease.spec.leaseTransitions).toBe(1);
  });

  it('a released lease is taken over at once', async () => {
    // A long lease: waiting it out would take 15 s, so a takeover within 2 s is the release.
    const slow = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const a = contend('replica-a', 'release', slow);
    await eventually('replica-a leads', 10_000, () => Promise.resolve(a.elector.isLeader()));
    const b = contend('replica-b', 'release', slow);
    await eventually('replica-b sees replica-a lead', 5_000, () =>
      Promise.resolve(b.elector.leader() === 'replica-a'),
    );

    const releasedAt = Date.now();
    expect(await a.elector.release()).toEqual({ kind: 'released' });
    expect(a.elector.isLeader()).toBe(false);
    expect(a.signals[0]?.aborted).toBe(true);
    expect(a.signals[0]?.reason).toBeInstanceOf(LeadershipLostError);
    expect(a.stopped).toHaveLength(1);

    await eventually('replica-b leads', 5_000, () => Promise.resolve(b.elector.isLeader()));
    expect((b.started[0] ?? NaN) - releasedAt).toBeLessThan(2000);
    const lease = await readLease('release');
    expect(lease.spec.holderIdentity).toBe('replica-b');
    expect(lease.spec.leaseDurationSeconds).toBe(15);
    expect(lease.spec.leaseTransitions).toBe(1);
    // Releasing twice is harmless: the lease is no longer ours to give.
    expect(await a.elector.release()).toEqual({ kind: 'not-holder' });
  });

  it('a leader whose renewals fail steps down at the renew deadline, before anyone may take over', async () => {
    let cutOff = false;
    const unplugged = (http: LeaseHttp): LeaseHttp => ({
      request: (method, path, body, headers): Promise<HttpResponse> =>
        cutOff
          ? Promise.reject(new Error('injected: the apiserver is unreachable'))
          : http.request(method, path, body, headers),
    });
    const a = contend('replica-a', 'cut-off', fast, unplugged);
    await eventually('replica-a leads', 10_000, () => Promise.resolve(a.elector.isLeader()));
    const b = contend('replica-b', 'cut-off', fast);
    await eventually('replica-b sees replica-a lead', 5_000, () =>
      Promise.resolve(b.elector.leader() === 'replica-a'),
    );

    cutOff = true;
    // Let a renewal already on the wire land before reading what the others see.
    await sleep(300);
    const lastRenewal = microTime((await readLease('cut-off')).spec.renewTime);
    await eventually('replica-a steps down', 5_000, () => Promise.resolve(!a.elector.isLeader()));
    await eventually('replica-b leads', 10_000, () => Promise.resolve(b.elector.isLeader()));

    const steppedDownAt = a.stopped[0] ?? NaN;
    expect(steppedDownAt - lastRenewal).toBeGreaterThanOrEqual(fast.renewDeadlineMs - 5);
    expect(steppedDownAt - lastRenewal).toBeLessThan(fast.renewDeadlineMs + 500);
    // The deadline's point: the old leader stopped before the new one could start.
    expect(steppedDownAt).toBeLessThan(lastRenewal + fast.leaseDurationMs);
    expect(b.started[0] ?? NaN).toBeGreaterThan(lastRenewal + fast.leaseDurationMs);
    expect((await readLease('cut-off')).spec.holderIdentity).toBe('replica-b');
  });
});
