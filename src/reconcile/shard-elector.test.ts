import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpResponse } from '../cluster/http.js';
import { ShardLostError } from './errors.js';
import type { Lease, LeaseHttp } from './lease.js';
import { ShardElector, type ShardElectionOptions } from './shard-elector.js';

const t0 = Date.parse('2026-12-01T09:00:00.000Z');
const shards = 16;

/**
 * Every Lease of a namespace with the apiserver's optimistic concurrency and label-selected
 * LIST. The real apiserver is exercised by test/faults/sharding.test.ts; this one runs on fake
 * timers so deadlines and orderings can be checked exactly.
 */
class LeaseStore {
  readonly leases = new Map<string, Lease>();
  private version = 0;

  answer(method: string, path: string, body?: string): HttpResponse {
    const reply = (status: number, obj: object = {}) => ({ status, body: JSON.stringify(obj) });
    const [base = '', query = ''] = path.split('?');
    const name = decodeURIComponent(base.split('/leases/')[1] ?? '');
    const sent = body === undefined ? undefined : (JSON.parse(body) as Lease);
    if (method === 'GET' && name === '') {
      const [k = '', v = ''] = decodeURIComponent(query.replace('labelSelector=', '')).split('=');
      const items = [...this.leases.values()].filter(
        (l) => (l.metadata.labels as Record<string, string> | undefined)?.[k] === v,
      );
      return reply(200, { items });
    }
    const current = this.leases.get(name === '' ? (sent?.metadata.name ?? '') : name);
    if (method === 'GET') return current === undefined ? reply(404) : reply(200, current);
    if (method === 'POST' && sent !== undefined)
      return current === undefined ? reply(201, this.store(sent)) : reply(409);
    if (method === 'PUT' && sent !== undefined) {
      if (current === undefined) return reply(404);
      if (sent.metadata.resourceVersion !== current.metadata.resourceVersion) return reply(409);
      return reply(200, this.store(sent));
    }
    return reply(405);
  }

  holderOf(shard: number): string {
    return this.leases.get(`ballast-controller-shard-${shard}`)?.spec.holderIdentity ?? '';
  }

  private store(lease: Lease): Lease {
    const stored = {
      ...lease,
      metadata: { ...lease.metadata, resourceVersion: String(++this.version) },
    };
    this.leases.set(lease.metadata.name, stored);
    return stored;
  }
}

/** One replica's connection to the store; `down` fails its requests as a partition would. */
class Link implements LeaseHttp {
  down = false;
  constructor(private readonly store: LeaseStore) {}
  request(method: string, path: string, body?: string): Promise<HttpResponse> {
    if (this.down) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(this.store.answer(method, path, body));
  }
}

/**
 * The work of every replica, checking the one rule that matters: a shard's work runs on at
 * most one replica at a time, and only while that replica's Lease names it.
 */
class Work {
  /** Shard → the replica whose work on it has started and not yet stopped. */
  readonly running = new Map<number, string>();
  readonly violations: string[] = [];
  readonly events: string[] = [];
  /** How long a graceful stop takes (in-flight passes finishing). */
  drainMs = 0;

  constructor(private readonly store: LeaseStore) {}

  for(identity: string): ShardElectionOptions['work'] {
    return {
      start: (shard, signal) => {
        const other = this.running.get(shard);
        if (other !== undefined)
          this.violations.push(`${identity} started ${shard} while ${other} ran it`);
        if (this.store.holderOf(shard) !== identity)
          this.violations.push(`${identity} started ${shard} without holding its Lease`);
        this.running.set(shard, identity);
        this.events.push(`${identity} start ${shard}`);
        signal.addEventListener('abort', () => this.events.push(`${identity} abort ${shard}`));
      },
      stop: async (shard) => {
        if (this.drainMs > 0) await new Promise((r) => setTimeout(r, this.drainMs));
        if (this.store.holderOf(shard) === '' && this.running.get(shard) === identity)
          this.violations.push(`${identity} gave ${shard} back before its work stopped`);
        if (this.running.get(shard) === identity) this.running.delete(shard);
        this.events.push(`${identity} stopped ${shard}`);
      },
    };
  }

  count(identity: string): number {
    return [...this.running.values()].filter((v) => v === identity).length;
  }
}

const flush = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined);
/** A replica's first round announces it, its second takes shards. */
const firstRounds = (): Promise<void> => vi.advanceTimersByTimeAsync(2_000).then(() => undefined);

describe('the shard elector', () => {
  let store: LeaseStore;
  let work: Work;
  let electors: ShardElector[];
  const errors: Error[] = [];

  const start = (identity: string, link = new Link(store)): ShardElector => {
    const e = ShardElector.start(link, {
      leasePrefix: 'ballast-controller',
      namespace: 'ballast-system',
      identity,
      shards,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      requestTimeoutMs: 5_000,
      work: work.for(identity),
      onHeld: () => undefined,
      onError: (err) => errors.push(err),
    });
    electors.push(e);
    return e;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(t0);
    store = new LeaseStore();
    work = new Work(store);
    electors = [];
    errors.length = 0;
  });
  afterEach(async () => {
    const stopping = Promise.all(electors.map((e) => e.abandon()));
    await vi.advanceTimersByTimeAsync(60_000);
    await stopping;
    vi.useRealTimers();
    expect(work.violations).toEqual([]);
  });

  it('a lone replica takes every shard at its second round, and starts each only once its Lease names it', async () => {
    const a = start('a');
    await flush();
    expect(a.heldShards()).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(a.heldShards()).toHaveLength(shards);
    expect(work.count('a')).toBe(shards);
    expect(a.liveReplicas()).toBe(1);
    // Renewed every retry period.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(a.heldShards()).toHaveLength(shards);
    expect(store.leases.get('ballast-controller-shard-0')?.spec.renewTime).toBe(
      '2026-12-01T09:00:22.000000Z',
    );
  });

  it('a replica joining gets its fair share: the holder stops its work before giving each shard back', async () => {
    const a = start('a');
    await firstRounds();
    work.drainMs = 3_000;
    const b = start('b');
    await vi.advanceTimersByTimeAsync(12_000);
    expect(a.heldShards()).toHaveLength(8);
    expect(b.heldShards()).toHaveLength(8);
    const c = start('c');
    await vi.advanceTimersByTimeAsync(12_000);
    // ceil(16 / 3) = 6: the two first keep 6 each, the newcomer takes the 4 they gave back.
    expect([a, b, c].map((e) => e.heldShards().length)).toEqual([6, 6, 4]);
    expect(work.running.size).toBe(shards);
    // Each handed-over shard: stopped by its old holder before the newcomer started it.
    for (const [i, e] of work.events.entries()) {
      const m = /^(\w) start (\d+)$/.exec(e);
      if (m === null || i < shards) continue;
      const stoppedBefore = work.events.slice(0, i).some((x) => x.endsWith(`stopped ${m[2]}`));
      expect(stoppedBefore, e).toBe(true);
    }
  });

  it('keeps renewing a shard while its work drains, and gives it back only after', async () => {
    const a = start('a');
    await firstRounds();
    work.drainMs = 30_000;
    start('b');
    await vi.advanceTimersByTimeAsync(25_000);
    // Past the lease duration, yet a still holds all 16: draining shards stay renewed.
    expect(a.heldShards()).toHaveLength(shards);
    expect(work.count('b')).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(a.heldShards()).toHaveLength(8);
    expect(work.count('b')).toBe(8);
  });

  it("a crashed replica's shards are taken by the others within the lease duration", async () => {
    const a = start('a');
    const b = start('b');
    const c = start('c');
    await vi.advanceTimersByTimeAsync(30_000);
    const lost = c.heldShards();
    expect(lost.length).toBeGreaterThan(0);
    await c.abandon();
    // A crash ends c's work with it.
    for (const i of lost) work.running.delete(i);
    const crashedAt = Date.now();
    let takenAt: number | undefined;
    for (let t = 0; t < 30_000 && takenAt === undefined; t += 100) {
      await vi.advanceTimersByTimeAsync(100);
      if (lost.every((i) => ['a', 'b'].includes(store.holderOf(i)))) takenAt = Date.now();
    }
    // Lapsed after 15 s; taken at the next round after that (rounds every 2 s).
    expect((takenAt ?? Infinity) - crashedAt).toBeLessThanOrEqual(15_000 + 2_000);
    expect(a.heldShards().length + b.heldShards().length).toBe(shards);
  });

  it('a replica cut off from the apiserver stops its work at the renew deadline, before anyone may take over', async () => {
    const link = new Link(store);
    const a = start('a', link);
    await firstRounds();
    const b = start('b');
    await vi.advanceTimersByTimeAsync(12_000);
    const mine = a.heldShards();
    link.down = true;
    const cutAt = Date.now();
    const signalsAborted: number[] = [];
    await vi.advanceTimersByTimeAsync(10_000);
    for (const i of mine) if (work.running.get(i) !== 'a') signalsAborted.push(i);
    expect(signalsAborted).toEqual(mine);
    expect(a.heldShards()).toEqual([]);
    // Until the Leases lapse (renewed at most 2 s before the cut), b has not taken one.
    expect(mine.every((i) => store.holderOf(i) === 'a')).toBe(true);
    await vi.advanceTimersByTimeAsync(cutAt + 15_000 + 2_000 - Date.now());
    expect(b.heldShards()).toHaveLength(shards);
    expect(errors.length).toBeGreaterThan(0);
    expect(work.events.some((e) => e.startsWith('a abort'))).toBe(true);
  });

  it('replicas starting together see each other before taking shards: none is handed back', async () => {
    const a = start('a');
    const b = start('b');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(a.heldShards().length + b.heldShards().length).toBe(shards);
    expect([a.heldShards().length, b.heldShards().length]).toEqual([8, 8]);
    expect(work.events.filter((e) => e.includes('stopped'))).toEqual([]);
  });

  it('a shard whose Lease shows another holder is lost at once, its signal saying why', async () => {
    const reasons: unknown[] = [];
    const a = ShardElector.start(new Link(store), {
      leasePrefix: 'ballast-controller',
      namespace: 'ballast-system',
      identity: 'a',
      shards: 1,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      requestTimeoutMs: 5_000,
      work: {
        start: (_s, signal) => {
          signal.addEventListener('abort', () => reasons.push(signal.reason));
        },
        stop: () => Promise.resolve(),
      },
      onHeld: () => undefined,
      onError: () => undefined,
    });
    electors.push(a);
    await firstRounds();
    const lease = store.leases.get('ballast-controller-shard-0');
    if (lease === undefined) throw new Error('no lease');
    store.leases.set(lease.metadata.name, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'intruder' },
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(a.heldShards()).toEqual([]);
    expect(reasons[0]).toBeInstanceOf(ShardLostError);
    expect(String(reasons[0])).toMatch(/held by intruder/);
  });

  it('release stops every shard, gives every Lease back and leaves the group at once', async () => {
    const a = start('a');
    const b = start('b');
    await vi.advanceTimersByTimeAsync(20_000);
    await a.release();
    expect(work.count('a')).toBe(0);
    const freed = [...Array(shards).keys()].filter((i) => store.holderOf(i) === '');
    expect(freed.length).toBe(8);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(b.liveReplicas()).toBe(1);
    expect(b.heldShards()).toHaveLength(shards);
  });
});
