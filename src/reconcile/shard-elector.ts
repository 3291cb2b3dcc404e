import { InvalidOptionsError, ShardLostError } from './errors.js';
import { everyPeriod } from './leader.js';
import {
  claimLease,
  judgeLease,
  LeaseClient,
  leaseTimingProblems,
  type Lease,
  type LeaseHttp,
} from './lease.js';
import {
  fnv1a,
  leaseGroupLabel,
  leaseRoleLabel,
  memberLeaseName,
  planShards,
  shardCountLabel,
  shardLeaseName,
  type ShardSeen,
} from './shard.js';

/** What a replica does with the shards it holds; the controller implements it. */
export interface ShardWork {
  /**
   * Starts work on a shard this replica has just taken. `signal` aborts when the Lease is lost
   * (renewals failed for the renew deadline, or another holder was seen): the work must then
   * abort whatever of the shard's is in flight, at once.
   */
  start: (shard: number, signal: AbortSignal) => void;
  /**
   * Ends work on a shard: no pass of its Applications starts from now on, and the promise
   * resolves once none is in flight. Called before the Lease is given back, and after a loss.
   */
  stop: (shard: number) => Promise<void>;
}

export interface ShardElectionOptions {
  /** Every Lease is named from it: `<prefix>-shard-<i>`, `<prefix>-member-<hash>`. */
  leasePrefix: string;
  /** Namespace of the Leases, usually the controller's own. */
  namespace: string;
  /** This replica's unique name, written as holderIdentity. */
  identity: string;
  /** How many shards the Applications are split into; the same on every replica. */
  shards: number;
  /** How long a Lease stays its holder's after its last renewal. */
  leaseDurationMs: number;
  /** A shard's work stops when no renewal succeeded this long: before anyone else may take it. */
  renewDeadlineMs: number;
  /** How often the Leases are read, renewed, taken and given back. */
  retryPeriodMs: number;
  /** A Lease request taking longer is given up on and counts as failed. */
  requestTimeoutMs: number;
  work: ShardWork;
  /** Called with the shards held, in order, whenever that set changes. */
  onHeld: (shards: readonly number[]) => void;
  /** Failed Lease requests and callbacks that threw; the elector keeps going regardless. */
  onError: (error: Error) => void;
}

/** One shard this replica holds. */
interface Held {
  index: number;
  /** The Lease as last written by us; its resourceVersion guards the next write. */
  lease: Lease;
  controller: AbortController;
  /** Ends the work when no renewal succeeded within the renew deadline. */
  watchdog: ReturnType<typeof setTimeout> | undefined;
  /** `draining`: work.stop is running; `drained`: stopped, the Lease goes back next round. */
  phase: 'working' | 'draining' | 'drained';
  stopped: Promise<void> | undefined;
}

function validate(o: ShardElectionOptions): ShardElectionOptions {
  const bad = (problem: string): never => {
    throw new InvalidOptionsError(`shard election ${o.namespace}/${o.leasePrefix}`, problem);
  };
  if (o.identity === '') bad('identity must not be empty');
  if (!(Number.isInteger(o.shards) && o.shards >= 1)) bad('shards must be an integer >= 1');
  for (const problem of leaseTimingProblems(o)) bad(problem);
  return o;
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/**
 * N replicas share S shards, each shard held through its own Lease (see docs/architecture.md,
 * "Sharding"). Every retry period a replica renews its member Lease, reads all the group's
 * Leases in one LIST, renews the shards it holds, gives back what it holds above its fair share
 * (after its work on them stopped), and takes free shards up to it. All Lease writes of a round
 * are made by the round itself, each guarded by a resourceVersion, so they never race each other.
 */
export class ShardElector {
  private readonly opts: ShardElectionOptions;
  private readonly member: LeaseClient;
  private readonly shardLeases: LeaseClient[];
  private readonly held = new Map<number, Held>();
  /** Shards whose work is still stopping after a loss: not taken again until it has. */
  private readonly stopping = new Map<number, Promise<void>>();
  private readonly halt = new AbortController();
  private readonly loop: Promise<void>;
  private memberLease: Lease | undefined;
  private live = 0;
  private rounds = 0;

  private constructor(http: LeaseHttp, opts: ShardElectionOptions) {
    this.opts = validate(opts);
    const client = (name: string): LeaseClient =>
      new LeaseClient(http, opts.namespace, name, opts.requestTimeoutMs);
    this.member = client(memberLeaseName(opts.leasePrefix, opts.identity));
    this.shardLeases = Array.from({ length: opts.shards }, (_, i) =>
      client(shardLeaseName(opts.leasePrefix, i)),
    );
    this.loop = this.campaign();
  }

  /** Starts taking part at once; runs until `release` or `abandon`. */
  static start(http: LeaseHttp, opts: ShardElectionOptions): ShardElector {
    return new ShardElector(http, opts);
  }

  /** The shards held now, in order, including those being given back. */
  heldShards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  /** Live replicas seen in the last round, this one included. */
  liveReplicas(): number {
    return this.live;
  }

  /**
   * Graceful shutdown: stops taking part, stops the work on every shard held, then gives each
   * Lease back and marks this replica gone, so the others take over at their next round.
   */
  async release(): Promise<void> {
    this.halt.abort();
    await this.loop;
    const held = [...this.held.values()];
    await Promise.all(held.map((h) => this.stopWork(h)));
    await Promise.all(held.map((h) => this.giveBack(h, undefined)));
    if (this.memberLease !== undefined) {
      const gone = this.claim(this.memberLease, '', Date.now());
      await this.member.update(gone).catch((e: unknown) => {
        this.report(e);
      });
    }
  }

  /** Stops without a write: the Leases lapse after their duration, as after a crash. */
  async abandon(): Promise<void> {
    this.halt.abort();
    await this.loop;
    for (const h of this.held.values()) this.endTerm(h, 'stopped without releasing');
  }

  private campaign(): Promise<void> {
    return everyPeriod(
      this.halt.signal,
      this.opts.retryPeriodMs,
      () => this.round(),
      (e) => {
        this.report(e);
      },
    );
  }

  private async round(): Promise<void> {
    await this.renewMember();
    const leases = await this.member.list(`${leaseGroupLabel}=${this.opts.leasePrefix}`);
    const byName = new Map(leases.map((l) => [l.metadata.name, l]));
    const now = Date.now();
    this.live = this.countLive(leases, now);
    const current = this.shardLeases.map((c) => byName.get(c.name));
    const seen = current.map((lease, i) => this.see(i, lease, now));
    await Promise.all([...this.held.values()].map((h) => this.renewOrGiveBack(h, current)));
    // The first round only says we are here: replicas starting together then see each other
    // before taking anything, instead of one taking every shard and handing most back.
    if (this.halt.signal.aborted || this.rounds++ === 0) return;
    const releasing = new Set(
      [...this.held.values()].flatMap((h) => (h.phase === 'working' ? [] : [h.index])),
    );
    const plan = planShards({
      seen,
      live: this.live,
      releasing,
      offset: fnv1a(this.opts.identity) % this.opts.shards,
    });
    for (const i of plan.release) {
      const h = this.held.get(i);
      if (h !== undefined) void this.stopWork(h);
    }
    await Promise.all(plan.acquire.map((i) => this.acquire(i, current[i])));
  }

  /** Where shard `i` stands; a held shard whose Lease shows another holder is lost at once. */
  private see(i: number, lease: Lease | undefined, now: number): ShardSeen {
    const h = this.held.get(i);
    const holder = lease?.spec.holderIdentity ?? '';
    if (h !== undefined) {
      if (holder === this.opts.identity) return { kind: 'ours' };
      this.lose(h, holder === '' ? 'the lease was emptied' : `the lease is held by ${holder}`);
      return holder === '' ? { kind: 'free' } : { kind: 'theirs', holder };
    }
    // Our own earlier work on it must have stopped before the shard is taken again.
    if (this.stopping.has(i)) return { kind: 'theirs', holder: this.opts.identity };
    if (lease === undefined) return { kind: 'free' };
    const verdict = judgeLease(lease.spec, this.opts.identity, now, this.opts.leaseDurationMs);
    // `ours` without a term: one that ended by its watchdog; nobody else can hold it.
    return verdict.kind === 'held' ? { kind: 'theirs', holder: verdict.holder } : { kind: 'free' };
  }

  /** Replicas whose member Lease is valid, this one always included. */
  private countLive(leases: readonly Lease[], now: number): number {
    const others = leases.filter((l) => {
      if (l.metadata.name === this.member.name) return false;
      const labels = (l.metadata.labels ?? {}) as Record<string, string>;
      if (labels[leaseRoleLabel] !== 'member') return false;
      const v = judgeLease(l.spec, this.opts.identity, now, this.opts.leaseDurationMs);
      return v.kind === 'held';
    });
    return others.length + 1;
  }

  private async renewMember(): Promise<void> {
    const stamp = Date.now();
    if (this.memberLease !== undefined) {
      const w = await this.member.update(this.claim(this.memberLease, this.opts.identity, stamp));
      if (w.kind === 'written') {
        this.memberLease = w.lease;
        return;
      }
    }
    const read = await this.member.get();
    const w =
      read.kind === 'absent'
        ? await this.member.create(
            this.claim(undefined, this.opts.identity, stamp).spec,
            this.labels('member'),
          )
        : await this.member.update(this.claim(read.lease, this.opts.identity, stamp));
    this.memberLease = w.kind === 'written' ? w.lease : undefined;
  }

  private async renewOrGiveBack(h: Held, current: readonly (Lease | undefined)[]): Promise<void> {
    if (!this.held.has(h.index)) return;
    if (h.phase === 'drained') {
      await this.giveBack(h, current[h.index]);
      return;
    }
    const stamp = Date.now();
    const base = current[h.index] ?? h.lease;
    const w = await this.shardLeases[h.index]
      ?.update(this.claim(base, this.opts.identity, stamp))
      .catch((e: unknown) => {
        this.report(e);
        return undefined;
      });
    if (w?.kind === 'written') this.won(h, w.lease, stamp);
  }

  private async acquire(i: number, lease: Lease | undefined): Promise<void> {
    const client = this.shardLeases[i];
    if (client === undefined) return;
    const stamp = Date.now();
    const claimed = this.claim(lease, this.opts.identity, stamp);
    const w = await (
      lease === undefined
        ? client.create(claimed.spec, this.labels('shard'))
        : client.update(claimed)
    ).catch((e: unknown) => {
      this.report(e);
      return undefined;
    });
    if (w?.kind !== 'written') return;
    const h: Held = {
      index: i,
      lease: w.lease,
      controller: new AbortController(),
      watchdog: undefined,
      phase: 'working',
      stopped: undefined,
    };
    this.held.set(i, h);
    this.won(h, w.lease, stamp);
    if (!this.held.has(i)) return;
    this.callback(() => {
      this.opts.work.start(i, h.controller.signal);
    });
    this.changed();
  }

  /** A write stamped `stamp` kept the shard ours: extend its term to stamp + renew deadline. */
  private won(h: Held, lease: Lease, stamp: number): void {
    // A term that ended while the write was in flight stays ended.
    if (this.held.get(h.index) !== h) return;
    h.lease = lease;
    // Measured from the stamp, not the answer: others count the lease from renewTime.
    const left = stamp + this.opts.renewDeadlineMs - Date.now();
    if (left <= 0) {
      this.lose(h, 'the renewal was answered after the renew deadline');
      return;
    }
    clearTimeout(h.watchdog);
    h.watchdog = setTimeout(() => {
      this.lose(h, `no renewal succeeded within ${this.opts.renewDeadlineMs} ms`);
    }, left);
  }

  /** Stops the shard's work (once); the next round gives its Lease back. */
  private stopWork(h: Held): Promise<void> {
    if (h.stopped !== undefined) return h.stopped;
    h.phase = 'draining';
    h.stopped = this.opts.work.stop(h.index).then(
      () => {
        h.phase = 'drained';
      },
      (e: unknown) => {
        // The work reports its own trouble; a stop that threw still ran its course.
        this.report(e);
        h.phase = 'drained';
      },
    );
    return h.stopped;
  }

  /** Writes the Lease back empty (its work has stopped); the term ends whatever the answer. */
  private async giveBack(h: Held, listed: Lease | undefined): Promise<void> {
    this.endTerm(h, 'given back');
    const client = this.shardLeases[h.index];
    if (client === undefined) return;
    const base = listed?.spec.holderIdentity === this.opts.identity ? listed : h.lease;
    const w = await client.update(this.claim(base, '', Date.now())).catch((e: unknown) => {
      this.report(e);
      return undefined;
    });
    // Unanswered or refused: the Lease lapses after its duration, and nobody takes it earlier.
    if (w?.kind !== 'written') this.report(new Error(`${client.subject}: give-back not written`));
  }

  /** The shard's Lease was lost: the work aborts now and may not be taken back until it stopped. */
  private lose(h: Held, why: string): void {
    if (this.held.get(h.index) !== h) return;
    this.endTerm(h, why);
    const stopped = (h.stopped ?? this.opts.work.stop(h.index)).catch((e: unknown) => {
      this.report(e);
    });
    this.stopping.set(h.index, stopped);
    void stopped.then(() => this.stopping.delete(h.index));
  }

  private endTerm(h: Held, why: string): void {
    if (this.held.get(h.index) !== h) return;
    this.held.delete(h.index);
    clearTimeout(h.watchdog);
    const subject = `${this.opts.namespace}/${shardLeaseName(this.opts.leasePrefix, h.index)}`;
    h.controller.abort(new ShardLostError(subject, this.opts.identity, why));
    this.changed();
  }

  private claim(current: Lease | undefined, holder: string, stamp: number): Lease {
    return claimLease(current, holder, stamp, { ...this.opts, name: current?.metadata.name ?? '' });
  }

  private labels(role: 'shard' | 'member'): Record<string, string> {
    return {
      [leaseGroupLabel]: this.opts.leasePrefix,
      [leaseRoleLabel]: role,
      ...(role === 'shard' ? { [shardCountLabel]: String(this.opts.shards) } : {}),
    };
  }

  private changed(): void {
    const shards = this.heldShards();
    this.callback(() => {
      this.opts.onHeld(shards);
    });
  }

  /** Runs a caller's callback; a throw is reported, never allowed to stop the elector. */
  private callback(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(e);
    }
  }

  private report(e: unknown): void {
    try {
      this.opts.onError(asError(e));
    } catch {
      // The error hook itself failed; there is nowhere left to report to.
    }
  }
}
