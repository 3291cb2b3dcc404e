import { InvalidOptionsError, LeadershipLostError, LeaseRequestError } from './errors.js';
import {
  claimLease,
  judgeLease,
  LeaseClient,
  leaseTimingProblems,
  type Lease,
  type LeaseHttp,
} from './lease.js';
import { formatMicroTime } from './microtime.js';

export interface LeaderElectionOptions {
  /** The Lease every replica contends for; one per controller. */
  leaseName: string;
  /** Namespace of the Lease, usually the controller's own. */
  namespace: string;
  /** This replica's unique name (pod name plus a random suffix), written as holderIdentity. */
  identity: string;
  /** How long a lease stays the holder's after its last renewal; others wait this long. */
  leaseDurationMs: number;
  /**
   * How long the leader keeps leading without a successful renewal. Shorter than the lease
   * duration, so the leader stops before anyone else may start; the gap absorbs clock skew.
   */
  renewDeadlineMs: number;
  /** How often to try to acquire (followers) or renew (the leader). */
  retryPeriodMs: number;
  /** A Lease request taking longer is given up on and counts as failed. */
  requestTimeoutMs: number;
  /**
   * Called when this replica becomes leader. The signal aborts when the term ends (renewals
   * failed, the lease was taken, or release/abandon). After a lost term, a later term may follow.
   */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called once when a term ends, after its signal aborted. */
  onStoppedLeading: () => void;
  /** Called when a different replica is seen holding the lease (ourselves included). */
  onNewLeader: (identity: string) => void;
  /** Failed Lease requests and callbacks that threw; the elector keeps going regardless. */
  onError: (error: Error) => void;
}

/** client-go's defaults: a new leader within 15 s of a crash, at most one Lease write every 2 s. */
export function defaultLeaderElectionOptions(
  leaseName: string,
  namespace: string,
  identity: string,
): LeaderElectionOptions {
  return {
    leaseName,
    namespace,
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    requestTimeoutMs: 5_000,
    onStartedLeading: () => undefined,
    onStoppedLeading: () => undefined,
    onNewLeader: () => undefined,
    onError: () => undefined,
  };
}

/** What a caller must name; everything else has a default. */
export type LeaderElectionInput = Pick<
  LeaderElectionOptions,
  'leaseName' | 'namespace' | 'identity'
> &
  Partial<LeaderElectionOptions>;

export type ReleaseResult =
  { kind: 'released' } | { kind: 'not-holder' } | { kind: 'failed'; error: Error };

function validate(o: LeaderElectionOptions): LeaderElectionOptions {
  const bad = (problem: string): never => {
    throw new InvalidOptionsError(`leader election ${o.namespace}/${o.leaseName}`, problem);
  };
  if (o.identity === '') bad('identity must not be empty');
  for (const problem of leaseTimingProblems(o)) bad(problem);
  return o;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted) done();
  });
}

/**
 * Runs `step` every `periodMs` until `signal` aborts. A failed step changes nothing: it is
 * reported and the next one tries again, while the watchdogs guard the work held.
 */
export async function everyPeriod(
  signal: AbortSignal,
  periodMs: number,
  step: () => Promise<void>,
  report: (e: unknown) => void,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await step();
    } catch (e) {
      report(e);
    }
    await sleep(periodMs, signal);
  }
}

/** One term of leadership. */
interface Term {
  controller: AbortController;
  /** Ends the term when no renewal succeeded within the renew deadline. */
  watchdog: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * take the lease when it is free, expired or already ours, by create or by a resourceVersion-
 * guarded update; renew it every retry period; step down when renewals fail for the renew
 * deadline. The apiserver's optimistic concurrency is the only lock.
 */
export class LeaderElector {
  private readonly opts: LeaderElectionOptions;
  private readonly client: LeaseClient;
  private readonly halt = new AbortController();
  private readonly loop: Promise<void>;
  private term: Term | undefined;
  /** The lease as last read or written; its resourceVersion guards our next write. */
  private observed: Lease | undefined;
  private lastHolder = '';

  private constructor(http: LeaseHttp, input: LeaderElectionInput) {
    const defaults = defaultLeaderElectionOptions(input.leaseName, input.namespace, input.identity);
    this.opts = validate({ ...defaults, ...input });
    this.client = new LeaseClient(
      http,
      this.opts.namespace,
      this.opts.leaseName,
      this.opts.requestTimeoutMs,
    );
    this.loop = this.campaign();
  }

  /** Starts campaigning at once; the elector runs until `release` or `abandon`. */
  static start(http: LeaseHttp, input: LeaderElectionInput): LeaderElector {
    return new LeaderElector(http, input);
  }

  isLeader(): boolean {
    return this.term !== undefined;
  }

  /** The holder last seen on the lease; undefined when nobody holds it or it was not read yet. */
  leader(): string | undefined {
    return this.lastHolder === '' ? undefined : this.lastHolder;
  }

  /**
   * For graceful shutdown: stops campaigning, ends the term, then hands the lease back (empty
   * holder, 1 s duration) so another replica takes over at its next retry instead of waiting
   * for the lease to expire. Stop the leader's work before calling this, since another replica
   * may start the moment the lease is written.
   */
  async release(): Promise<ReleaseResult> {
    await this.stopCampaign();
    this.endTerm('the lease was released');
    return this.writeRelease();
  }

  /**
   * Stops campaigning and ends the term without touching the lease, which lapses after its
   * duration: what a crash looks like to the other replicas.
   */
  async abandon(): Promise<void> {
    await this.stopCampaign();
    this.endTerm('stopped without releasing the lease');
  }

  private async stopCampaign(): Promise<void> {
    this.halt.abort();
    await this.loop;
  }

  private campaign(): Promise<void> {
    return everyPeriod(
      this.halt.signal,
      this.opts.retryPeriodMs,
      () => this.tryAcquireOrRenew(),
      (e) => {
        this.report(e);
      },
    );
  }

  private async tryAcquireOrRenew(): Promise<void> {
    // The leader first renews blind with the lease it last wrote: one request, and a conflict
    // only means someone else wrote, which the full read below sorts out.
    if (this.term !== undefined && this.observed !== undefined) {
      const stamp = Date.now();
      const w = await this.client.update(this.claim(this.observed, stamp));
      if (w.kind === 'written') {
        this.won(w.lease, stamp);
        return;
      }
    }
    const read = await this.client.get();
    if (read.kind === 'absent') {
      const stamp = Date.now();
      const w = await this.client.create(this.claim(undefined, stamp).spec);
      if (w.kind === 'written') this.won(w.lease, stamp);
      return;
    }
    this.observe(read.lease);
    const verdict = judgeLease(
      read.lease.spec,
      this.opts.identity,
      Date.now(),
      this.opts.leaseDurationMs,
    );
    if (verdict.kind === 'held') {
      this.endTerm(`the lease is held by ${verdict.holder}`);
      return;
    }
    const stamp = Date.now();
    const w = await this.client.update(this.claim(read.lease, stamp));
    if (w.kind === 'written') this.won(w.lease, stamp);
  }

  /** The lease with us as holder, renewed at `stamp`. */
  private claim(current: Lease | undefined, stamp: number): Lease {
    return claimLease(current, this.opts.identity, stamp, {
      ...this.opts,
      name: this.opts.leaseName,
    });
  }

  /** A write stamped `stamp` made us holder: start a term or extend the current one. */
  private won(lease: Lease, stamp: number): void {
    this.observe(lease);
    if (this.halt.signal.aborted) return;
    // Measured from the stamp, not the answer: others count the lease from renewTime.
    const left = stamp + this.opts.renewDeadlineMs - Date.now();
    if (left <= 0) {
      this.endTerm('the renewal was answered after the renew deadline');
      return;
    }
    const term = this.term ?? this.startTerm();
    clearTimeout(term.watchdog);
    term.watchdog = setTimeout(() => {
      this.endTerm(`no renewal succeeded within ${this.opts.renewDeadlineMs} ms`);
    }, left);
  }

  private startTerm(): Term {
    const term: Term = { controller: new AbortController(), watchdog: undefined };
    this.term = term;
    this.callback(() => {
      this.opts.onStartedLeading(term.controller.signal);
    });
    return term;
  }

  private endTerm(why: string): void {
    const term = this.term;
    if (term === undefined) return;
    this.term = undefined;
    clearTimeout(term.watchdog);
    term.controller.abort(new LeadershipLostError(this.client.subject, this.opts.identity, why));
    this.callback(() => {
      this.opts.onStoppedLeading();
    });
  }

  private observe(lease: Lease): void {
    this.observed = lease;
    const holder = lease.spec.holderIdentity ?? '';
    if (holder === this.lastHolder) return;
    this.lastHolder = holder;
    if (holder !== '') {
      this.callback(() => {
        this.opts.onNewLeader(holder);
      });
    }
  }

  private async writeRelease(): Promise<ReleaseResult> {
    // Two tries: the first may carry a stale resourceVersion if a renewal was in flight.
    for (let i = 0; i < 2; i++) {
      const lease = this.observed;
      if (lease?.spec.holderIdentity !== this.opts.identity) return { kind: 'not-holder' };
      const now = formatMicroTime(Date.now());
      const released: Lease = {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
        },
      };
      try {
        const w = await this.client.update(released);
        if (w.kind === 'written') {
          this.observe(w.lease);
          return { kind: 'released' };
        }
        const read = await this.client.get();
        if (read.kind === 'absent') return { kind: 'not-holder' };
        this.observe(read.lease);
      } catch (e) {
        return { kind: 'failed', error: e instanceof Error ? e : new Error(String(e)) };
      }
    }
    const error = new LeaseRequestError(this.client.subject, 'release', 'the lease kept changing');
    return { kind: 'failed', error };
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
      this.opts.onError(e instanceof Error ? e : new Error(String(e)));
    } catch {
      // The error hook itself failed; there is nowhere left to report to.
    }
  }
}
