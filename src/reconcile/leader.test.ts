import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpResponse } from '../cluster/http.js';
import { InvalidOptionsError, LeadershipLostError, LeaseRequestError } from './errors.js';
import { LeaderElector, type LeaderElectionInput } from './leader.js';
import type { Lease, LeaseHttp } from './lease.js';
import { formatMicroTime } from './microtime.js';

const t0 = Date.parse('2026-11-30T09:00:00.000Z');

/**
 * One Lease with the apiserver's optimistic concurrency: a PUT must carry the current
 * resourceVersion. The real apiserver is exercised by test/integration/leader.test.ts; this
 * one runs on fake timers, so deadlines can be checked to the millisecond.
 */
class LeaseServer implements LeaseHttp {
  lease: Lease | undefined;
  private version = 0;
  /** `down`: every request fails; `hung`: every request never answers. */
  mode: 'up' | 'down' | 'hung' = 'up';
  readonly log: string[] = [];

  request(method: string, _path: string, body?: string): Promise<HttpResponse> {
    this.log.push(method);
    if (this.mode === 'down') return Promise.reject(new Error('connection refused'));
    if (this.mode === 'hung') return new Promise(() => undefined);
    return Promise.resolve(this.answer(method, body));
  }

  /** Someone else writes the lease, as another replica or an operator would. */
  overwrite(spec: Lease['spec']): void {
    this.store({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ballast', namespace: 'ballast-system' },
      spec,
    });
  }

  private answer(method: string, body?: string): HttpResponse {
    const sent = body === undefined ? undefined : (JSON.parse(body) as Lease);
    const reply = (status: number, obj: object = {}) => ({ status, body: JSON.stringify(obj) });
    if (method === 'GET') return this.lease === undefined ? reply(404) : reply(200, this.lease);
    if (method === 'POST' && sent !== undefined) {
      return this.lease === undefined ? reply(201, this.store(sent)) : reply(409);
    }
    if (method === 'PUT' && sent !== undefined) {
      if (this.lease === undefined) return reply(404);
      if (sent.metadata.resourceVersion !== this.lease.metadata.resourceVersion) return reply(409);
      return reply(200, this.store(sent));
    }
    return reply(405);
  }

  private store(lease: Lease): Lease {
    const rv = String(++this.version);
    this.lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: rv } };
    return this.lease;
  }
}

/** Lets settled promises run on without moving the clock. */
const flush = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined);

describe('the leader elector', () => {
  let server: LeaseServer;
  let electors: LeaderElector[];
  const events: string[] = [];
  const signals: AbortSignal[] = [];
  const errors: Error[] = [];

  const start = (input: Partial<LeaderElectionInput> = {}): LeaderElector => {
    const e = LeaderElector.start(server, {
      leaseName: 'ballast',
      namespace: 'ballast-system',
      identity: 'me',
      onStartedLeading: (signal) => {
        events.push(`started@${Date.now() - t0}`);
        signals.push(signal);
      },
      onStoppedLeading: () => events.push(`stopped@${Date.now() - t0}`),
      onNewLeader: (who) => events.push(`leader:${who}`),
      onError: (e) => errors.push(e),
      ...input,
    });
    electors.push(e);
    return e;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(t0);
    server = new LeaseServer();
    electors = [];
    events.length = 0;
    signals.length = 0;
    errors.length = 0;
  });
  afterEach(async () => {
    server.mode = 'up';
    const stopping = Promise.all(electors.map((e) => e.abandon()));
    await vi.advanceTimersByTimeAsync(60_000);
    await stopping;
    vi.useRealTimers();
  });

  it('creates the lease when there is none, then renews it every retry period with one write', async () => {
    const me = start();
    await flush();
    expect(me.isLeader()).toBe(true);
    expect(server.lease?.spec).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: formatMicroTime(t0),
      renewTime: formatMicroTime(t0),
      leaseTransitions: 0,
    });
    server.log.length = 0;
    await vi.advanceTimersByTimeAsync(2000);
    expect(server.log).toEqual(['PUT']);
    expect(server.lease?.spec.renewTime).toBe(formatMicroTime(t0 + 2000));
    expect(server.lease?.spec.acquireTime).toBe(formatMicroTime(t0));
    expect(events).toEqual(['leader:me', 'started@0']);
  });

  it("waits for another holder's lease to expire, then takes it and counts the transition", async () => {
    server.overwrite({
      holderIdentity: 'other',
      leaseDurationSeconds: 15,
      renewTime: formatMicroTime(t0),
      leaseTransitions: 4,
    });
    const me = start();
    await vi.advanceTimersByTimeAsync(14_000);
    expect(me.isLeader()).toBe(false);
    expect(me.leader()).toBe('other');
    // Expired after 15 s; the first retry after that (at 16 s) takes it.
    await vi.advanceTimersByTimeAsync(2000);
    expect(me.isLeader()).toBe(true);
    expect(server.lease?.spec).toMatchObject({
      holderIdentity: 'me',
      acquireTime: formatMicroTime(t0 + 16_000),
      leaseTransitions: 5,
    });
    expect(events).toEqual(['leader:other', 'leader:me', 'started@16000']);
  });

  it('takes a released lease at once', async () => {
    server.overwrite({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: formatMicroTime(t0),
    });
    const me = start();
    await flush();
    expect(me.isLeader()).toBe(true);
  });

  it('steps down when renewals fail for the renew deadline, before the lease expires', async () => {
    const me = start();
    await flush();
    server.mode = 'down';
    await vi.advanceTimersByTimeAsync(9_999);
    expect(me.isLeader()).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(me.isLeader()).toBe(false);
    expect(events).toEqual(['leader:me', 'started@0', 'stopped@10000']);
    expect(signals[0]?.reason).toBeInstanceOf(LeadershipLostError);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e instanceof LeaseRequestError)).toBe(true);
  });

  it('steps down at the deadline even when the apiserver never answers', async () => {
    const me = start({ requestTimeoutMs: 30_000 });
    await flush();
    server.mode = 'hung';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(me.isLeader()).toBe(false);
    expect(events.at(-1)).toBe('stopped@10000');
  });

  it('steps down as soon as it sees someone else holding the lease', async () => {
    const me = start();
    await flush();
    server.overwrite({
      holderIdentity: 'intruder',
      leaseDurationSeconds: 15,
      renewTime: formatMicroTime(t0 + 1000),
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(me.isLeader()).toBe(false);
    expect(me.leader()).toBe('intruder');
    expect(events.slice(-2)).toEqual(['leader:intruder', 'stopped@2000']);
  });

  it('release ends the term, then hands the lease back for immediate takeover', async () => {
    const me = start();
    await flush();
    await vi.advanceTimersByTimeAsync(3000);
    expect(await me.release()).toEqual({ kind: 'released' });
    expect(signals[0]?.aborted).toBe(true);
    expect(server.lease?.spec).toMatchObject({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: formatMicroTime(t0 + 3000),
    });
    const log = server.log.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.log.length).toBe(log);

    const next = start({ identity: 'next' });
    await flush();
    expect(next.isLeader()).toBe(true);
    expect(server.lease?.spec.leaseTransitions).toBe(1);
  });

  it('abandon stops renewing without touching the lease', async () => {
    const me = start();
    await flush();
    const before = server.lease;
    await me.abandon();
    expect(me.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.lease).toBe(before);
  });

  it('keeps going when a callback throws', async () => {
    const me = start({
      onStartedLeading: () => {
        throw new Error('callback bug');
      },
    });
    await flush();
    await vi.advanceTimersByTimeAsync(4000);
    expect(me.isLeader()).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['callback bug']);
  });

  it('refuses timings where the leader could outlive its lease', () => {
    expect(() => start({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      InvalidOptionsError,
    );
    expect(() => start({ renewDeadlineMs: 2000, retryPeriodMs: 2000 })).toThrow(/retryPeriodMs/);
  });
});
