import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeObject } from '../../src/api/object.js';
import { Cluster } from '../../src/cluster/cluster.js';
import type { ResourceInfo } from '../../src/cluster/discovery.js';
import {
  WatchManager,
  type WatchError,
  type WatchEvent,
  type WatchOptions,
} from '../../src/cluster/watch.js';
import { kubeFor, testNamespace, type TestKube } from '../support/kube.js';

const label = 'ballast.dev/application';

/** Every event a manager reported, with the moment it arrived, and a way to wait for one. */
class Recorder {
  readonly events: { event: WatchEvent; at: number }[] = [];
  readonly errors: WatchError[] = [];
  private waiters: (() => void)[] = [];

  constructor(private readonly namespace: string) {}

  readonly options = (): Partial<WatchOptions> => ({
    onEvent: (event) => {
      // The watch is cluster-wide; other tests' objects are not ours to judge.
      if (event.object.metadata.namespace !== this.namespace) return;
      this.events.push({ event, at: performance.now() });
      for (const w of this.waiters) w();
    },
    onError: (e) => this.errors.push(e),
  });

  async next(
    what: string,
    match: (e: WatchEvent) => boolean,
    timeoutMs = 5_000,
  ): Promise<{ event: WatchEvent; at: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find((r) => match(r.event));
      if (hit !== undefined) return hit;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms: ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      this.waiters = [];
    }
  }

  namesOf(): string[] {
    return this.events.map((r) => r.event.object.metadata.name);
  }
}

const configMap = (
  ns: string,
  name: string,
  data: Record<string, string>,
  app?: string,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...(app === undefined ? {} : { labels: { [label]: app } }) },
  data,
});

const rvOf = (o: KubeObject): unknown => o.metadata.resourceVersion;

describe('watching managed objects', () => {
  const cp = inject('controlPlane');
  const kubeconfig = cp.clusters[0]?.kubeconfig ?? '';
  let cluster: Cluster;
  let info: ResourceInfo;
  let ns: string;
  let kube: TestKube;
  // Deletes go through the test client: KubeHttp.request sends a DELETE body without
  // Content-Length, which leaves the keep-alive connection unusable for the next request.
  const remove = async (name: string): Promise<void> => {
    const r = await kube.del(`/api/v1/namespaces/${ns}/configmaps/${name}`);
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    cluster = Cluster.connect({ kubeconfig });
    kube = await kubeFor(kubeconfig);
    ns = await testNamespace(kube, 'watch');
    const cm = await cluster.discovery.resolve('v1', 'ConfigMap');
    if (cm === undefined) throw new Error('ConfigMap is not served');
    info = cm;
  });
  afterAll(() => {
    cluster.close();
  });

  it('reports a change to a labelled ConfigMap within a second', async () => {
    await cluster.apply(configMap(ns, 'fast', { a: '1' }, `${ns}.app`));
    const rec = new Recorder(ns);
    const watches = new WatchManager(cluster.http, rec.options());
    try {
      await watches.ensure(info);
      await watches.ensure(info);
      expect(watches.count()).toBe(1);
      // The initial list announces what is there, as an informer does.
      await rec.next('ADDED fast', (e) => e.type === 'ADDED' && e.object.metadata.name === 'fast');
      expect(watches.cachedObjects()).toBeGreaterThanOrEqual(1);

      const latencies: number[] = [];
      const sinceSent: number[] = [];
      for (let i = 0; i < 5; i++) {
        const sentAt = performance.now();
        const live = await cluster.apply(configMap(ns, 'fast', { a: `v${i}` }, `${ns}.app`));
        const patchedAt = performance.now();
        const seen = await rec.next(
          `MODIFIED fast ${i}`,
          (e) => e.type === 'MODIFIED' && rvOf(e.object) === rvOf(live),
        );
        expect(seen.event.origin).toBe('watch');
        expect(seen.event.object.data).toEqual({ a: `v${i}` });
        // The event often beats the PATCH response home; that counts as no delay.
        latencies.push(Math.max(0, seen.at - patchedAt));
        sinceSent.push(seen.at - sentAt);
      }
      const fmt = (xs: number[]): string => xs.map((l) => l.toFixed(1)).join(', ');
      console.log(
        `watch event latency (ms) after the PATCH returned: ${fmt(latencies)}; after it was sent: ${fmt(sinceSent)}`,
      );
      expect(Math.max(...latencies)).toBeLessThan(1000);
      expect(rec.errors).toEqual([]);
    } finally {
      await watches.stop();
    }
  });

  it('ignores objects without the tracking label', async () => {
    const rec = new Recorder(ns);
    const watches = new WatchManager(cluster.http, rec.options());
    try {
      await watches.ensure(info);
      await cluster.apply(configMap(ns, 'unmanaged', { a: '1' }));
      await cluster.apply(configMap(ns, 'unmanaged', { a: '2' }));
      // Events of one watch arrive in order, so once this one is in, the others would be too.
      await cluster.apply(configMap(ns, 'marker', { a: '1' }, `${ns}.app`));
      await rec.next('ADDED marker', (e) => e.object.metadata.name === 'marker');
      expect(rec.namesOf()).not.toContain('unmanaged');
    } finally {
      await watches.stop();
    }
  });

  it('says which identities carry a tracking label while its watch is open, and nothing otherwise', async () => {
    // A client of its own, so dropping its watch connection touches no other test.
    const own = Cluster.connect({ kubeconfig });
    const rec = new Recorder(ns);
    const watches = new WatchManager(own.http, {
      ...rec.options(),
      backoffInitialMs: 60_000,
      random: () => 1,
    });
    try {
      expect(watches.tracked(info, ns, 'labelled')).toBeUndefined();
      await watches.ensure(info);
      await own.apply(configMap(ns, 'plain', { a: '1' }));
      await own.apply(configMap(ns, 'labelled', { a: '1' }, `${ns}.app`));
      await rec.next('ADDED labelled', (e) => e.object.metadata.name === 'labelled');
      expect(watches.tracked(info, ns, 'labelled')).toBe(true);
      expect(watches.tracked(info, ns, 'plain')).toBe(false);
      expect(watches.tracked(info, ns, 'absent')).toBe(false);
      const secrets = await own.discovery.resolve('v1', 'Secret');
      if (secrets === undefined) throw new Error('Secret is not served');
      expect(watches.tracked(secrets, ns, 'labelled')).toBeUndefined();
      // Dropped, the watch waits a minute before it relists: its cache may fall behind.
      own.http.watchAgent.destroy();
      const deadline = performance.now() + 5_000;
      while (watches.tracked(info, ns, 'plain') !== undefined && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(watches.tracked(info, ns, 'plain')).toBeUndefined();
    } finally {
      await watches.stop();
      own.close();
    }
  });

  it('reports a deletion', async () => {
    await cluster.apply(configMap(ns, 'doomed', { a: '1' }, `${ns}.app`));
    const rec = new Recorder(ns);
    const watches = new WatchManager(cluster.http, {
      ...rec.options(),
      announceInitialList: false,
    });
    try {
      await watches.ensure(info);
      await remove('doomed');
      const seen = await rec.next(
        'DELETED doomed',
        (e) => e.type === 'DELETED' && e.object.metadata.name === 'doomed',
      );
      expect(seen.event.object.metadata.labels?.[label]).toBe(`${ns}.app`);
      expect(seen.event.origin).toBe('watch');
    } finally {
      await watches.stop();
    }
  });

  it('recovers after its connection drops and reports what changed meanwhile', async () => {
    // A client of its own, so dropping its watch connections touches no other test.
    const own = Cluster.connect({ kubeconfig });
    await own.apply(configMap(ns, 'steady', { a: '1' }, `${ns}.app`));
    await own.apply(configMap(ns, 'changing', { a: '1' }, `${ns}.app`));
    await own.apply(configMap(ns, 'vanishing', { a: '1' }, `${ns}.app`));
    const rec = new Recorder(ns);
    // A fixed, long first backoff, so the changes below surely fall into the gap.
    const watches = new WatchManager(own.http, {
      ...rec.options(),
      announceInitialList: false,
      backoffInitialMs: 1_500,
      random: () => 1,
    });
    try {
      await watches.ensure(info);
      const before = watches.cachedObjects();
      own.http.watchAgent.destroy();
      const changed = await cluster.apply(configMap(ns, 'changing', { a: '2' }, `${ns}.app`));
      await remove('vanishing');

      const modified = await rec.next(
        'MODIFIED changing',
        (e) => e.type === 'MODIFIED' && rvOf(e.object) === rvOf(changed),
      );
      const deleted = await rec.next(
        'DELETED vanishing',
        (e) => e.type === 'DELETED' && e.object.metadata.name === 'vanishing',
      );
      expect(modified.event.origin).toBe('relist');
      expect(deleted.event.origin).toBe('relist');
      // The tombstone still names the owner, so the consumer can find the Application.
      expect(deleted.event.object.metadata.labels?.[label]).toBe(`${ns}.app`);
      expect(rec.namesOf()).not.toContain('steady');
      expect(rec.errors.some((e) => e.phase === 'watch' && /dropped/.test(e.message))).toBe(true);
      expect(watches.cachedObjects()).toBe(before - 1);

      // And it watches again afterwards.
      const later = await cluster.apply(configMap(ns, 'steady', { a: '2' }, `${ns}.app`));
      const again = await rec.next('MODIFIED steady', (e) => rvOf(e.object) === rvOf(later));
      expect(again.event.origin).toBe('watch');
    } finally {
      await watches.stop();
      own.close();
    }
  });
});
