import type { HttpResponse } from '../cluster/http.js';
import { KubeApiError } from '../cluster/errors.js';
import { LeaseRequestError } from './errors.js';
import { formatMicroTime, parseMicroTime } from './microtime.js';

/** The spec of a coordination.k8s.io/v1 Lease, as far as leader election uses it. */
export interface LeaseSpec {
  /** Who leads; empty or absent when nobody does (never held, or released). */
  holderIdentity?: string;
  /** How long after renewTime the lease is still the holder's. */
  leaseDurationSeconds?: number;
  /** MicroTime the current holder took the lease. */
  acquireTime?: string;
  /** MicroTime the current holder last renewed. */
  renewTime?: string;
  /** How many times the lease changed hands. */
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; [key: string]: unknown };
  spec: LeaseSpec;
}

/** The one call leader election makes: `KubeHttp` fits, and so does a fault-injecting wrapper. */
export interface LeaseHttp {
  request(
    method: string,
    path: string,
    body?: string,
    headers?: Record<string, string>,
  ): Promise<HttpResponse>;
}

export type LeaseRead = { kind: 'found'; lease: Lease } | { kind: 'absent' };

/** `conflict`: someone wrote first (409), or the lease vanished under an update (404). */
export type LeaseWrite = { kind: 'written'; lease: Lease } | { kind: 'conflict' };

/** Where a lease stands for one contender, at one moment. */
export type LeaseVerdict =
  | { kind: 'free' }
  | { kind: 'ours' }
  | { kind: 'expired'; holder: string }
  | { kind: 'held'; holder: string; expiresAt: number };

/**
 * Whether `identity` may take the lease at `nowMs`. Another holder's lease is valid until its
 * renewTime plus its duration, read against our own clock: the renew deadline being shorter
 * than the lease duration is the margin that absorbs clock skew between replicas. A lease with
 * no readable time cannot be shown to be valid, so it counts as expired; a missing duration
 * counts as `fallbackDurationMs`.
 */
export function judgeLease(
  spec: LeaseSpec,
  identity: string,
  nowMs: number,
  fallbackDurationMs: number,
): LeaseVerdict {
  const holder = spec.holderIdentity ?? '';
  if (holder === '') return { kind: 'free' };
  if (holder === identity) return { kind: 'ours' };
  const renewedAt = parseMicroTime(spec.renewTime ?? spec.acquireTime ?? '');
  if (renewedAt === undefined) return { kind: 'expired', holder };
  const durationMs =
    spec.leaseDurationSeconds === undefined ? fallbackDurationMs : spec.leaseDurationSeconds * 1000;
  const expiresAt = renewedAt + durationMs;
  return expiresAt < nowMs ? { kind: 'expired', holder } : { kind: 'held', holder, expiresAt };
}

/** GET, POST and PUT of one Lease, each bounded by a timeout, with 404 and 409 as results. */
export class LeaseClient {
  private readonly collection: string;

  constructor(
    private readonly http: LeaseHttp,
    readonly namespace: string,
    readonly name: string,
    private readonly timeoutMs: number,
  ) {
    this.collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  }

  /** `namespace/name`, for messages. */
  get subject(): string {
    return `${this.namespace}/${this.name}`;
  }

  async get(): Promise<LeaseRead> {
    const r = await this.send('get', 'GET', this.objectPath());
    if (r.status === 404) return { kind: 'absent' };
    if (r.status !== 200) throw this.failure('get', r);
    return { kind: 'found', lease: this.parse('get', r.body) as Lease };
  }

  /** Creates the lease; `labels` let a group of Leases be listed together (see `list`). */
  async create(spec: LeaseSpec, labels?: Record<string, string>): Promise<LeaseWrite> {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        ...(labels === undefined ? {} : { labels }),
      },
      spec,
    };
    const r = await this.send('create', 'POST', this.collection, lease);
    if (r.status === 409) return { kind: 'conflict' };
    if (r.status !== 201 && r.status !== 200) throw this.failure('create', r);
    return { kind: 'written', lease: this.parse('create', r.body) as Lease };
  }

  /** Replaces the lease; its metadata.resourceVersion makes this a compare-and-swap. */
  async update(lease: Lease): Promise<LeaseWrite> {
    const r = await this.send('update', 'PUT', this.objectPath(), lease);
    if (r.status === 409 || r.status === 404) return { kind: 'conflict' };
    if (r.status !== 200) throw this.failure('update', r);
    return { kind: 'written', lease: this.parse('update', r.body) as Lease };
  }

  /** Every Lease of the namespace matching `labelSelector`, in one request. */
  async list(labelSelector: string): Promise<Lease[]> {
    const query = `?labelSelector=${encodeURIComponent(labelSelector)}`;
    const r = await this.send('list', 'GET', this.collection + query);
    if (r.status !== 200) throw this.failure('list', r);
    return (this.parse('list', r.body) as { items?: Lease[] }).items ?? [];
  }

  private objectPath(): string {
    return `${this.collection}/${encodeURIComponent(this.name)}`;
  }

  /**
   * One request, given up on after the timeout. A request given up on may still land; that is
   * safe because every write carries a resourceVersion, so a late one can only fail.
   */
  private async send(verb: string, method: string, path: string, body?: Lease) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new LeaseRequestError(this.subject, verb, `no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    const headers = { 'content-type': 'application/json' };
    const call =
      body === undefined
        ? this.http.request(method, path)
        : this.http.request(method, path, JSON.stringify(body), headers);
    try {
      return await Promise.race([call, timeout]);
    } catch (e) {
      if (e instanceof LeaseRequestError) throw e;
      const why = e instanceof Error ? e.message : String(e);
      throw new LeaseRequestError(this.subject, verb, why, { cause: e });
    } finally {
      // A request that lost the race and fails later is still handled: race subscribed to it.
      clearTimeout(timer);
    }
  }

  private failure(verb: string, r: HttpResponse): LeaseRequestError {
    const cause = KubeApiError.from(
      `Lease.coordination.k8s.io/${this.subject}`,
      verb,
      r.status,
      r.body,
    );
    return new LeaseRequestError(
      this.subject,
      verb,
      `${r.status} ${cause.reason}: ${cause.apiMessage}`,
      {
        cause,
      },
    );
  }

  private parse(verb: string, body: string): unknown {
    try {
      return JSON.parse(body) as unknown;
    } catch (e) {
      throw new LeaseRequestError(this.subject, verb, 'the apiserver answered with invalid JSON', {
        cause: e,
      });
    }
  }
}

/** Lease timings that cannot work: one problem per rule broken. */
export function leaseTimingProblems(o: {
  retryPeriodMs: number;
  renewDeadlineMs: number;
  leaseDurationMs: number;
  requestTimeoutMs: number;
}): string[] {
  const problems: string[] = [];
  if (!(o.retryPeriodMs > 0)) problems.push('retryPeriodMs must be > 0');
  if (!(o.renewDeadlineMs > o.retryPeriodMs))
    problems.push('renewDeadlineMs must exceed retryPeriodMs');
  if (!(o.leaseDurationMs > o.renewDeadlineMs))
    problems.push('leaseDurationMs must exceed renewDeadlineMs');
  if (!(o.requestTimeoutMs > 0)) problems.push('requestTimeoutMs must be > 0');
  return problems;
}

/**
 * `current` (or a new Lease named `name`) with `holder` renewed at `stamp`. An empty holder
 * gives it back, with a 1 s duration; a change of hands resets acquireTime and counts a
 * transition.
 */
export function claimLease(
  current: Lease | undefined,
  holder: string,
  stamp: number,
  at: { name: string; namespace: string; leaseDurationMs: number },
): Lease {
  const now = formatMicroTime(stamp);
  const old = current?.spec ?? {};
  const same = old.holderIdentity === holder;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: current?.metadata ?? { name: at.name, namespace: at.namespace },
    spec: {
      ...old,
      holderIdentity: holder,
      leaseDurationSeconds: holder === '' ? 1 : Math.max(1, Math.ceil(at.leaseDurationMs / 1000)),
      acquireTime: same ? (old.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: (old.leaseTransitions ?? 0) + (same || current === undefined ? 0 : 1),
    },
  };
}
