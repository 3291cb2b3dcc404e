import {
  notificationPolicyKind,
  parseNotificationPolicy,
  type NotificationPolicy,
} from '../api/notification-policy.js';
import { ballastApiVersion } from '../api/resource.js';
import { parseDuration } from '../api/schema-duration.js';
import type { Cluster, Identity } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import { WatchManager } from '../cluster/watch.js';
import type { Logger } from '../reconcile/log.js';
import type { Announcement, OutcomeTap } from '../reconcile/status.js';
import { defaultBackoffOptions, verdictOf, type BackoffOptions, type Verdict } from './backoff.js';
import { Lane } from './lane.js';
import { selects } from './match.js';
import type { Message } from './message.js';
import { occurrenceOf, type Occurrence } from './outcome.js';
import { defaultPostOptions, postJson, type PostOptions } from './post.js';
import { requestOf } from './request.js';
import { resolveTarget } from './target.js';
import { policyCondition, writePolicyStatus, type PolicyCondition } from './policy-status.js';

export interface NotifierOptions {
  /** `--notification-allowed-url`: the only URL prefixes a policy may send to. */
  allowedUrls: readonly string[];
  /** Only policies in this namespace (the controller's `-n`); all when undefined. */
  namespace: string | undefined;
  /** The ServiceAccount a policy naming none reads its Secrets as; undefined: our own rights. */
  defaultServiceAccount: string | undefined;
  /** Occurrences waiting to be matched; beyond it new ones are dropped and counted. */
  queueLimit: number;
  /** Messages one policy keeps waiting while its receiver is down. */
  maxPendingPerPolicy: number;
  /** How long start() waits for the first list of policies before it returns anyway. */
  openTimeoutMs: number;
  /** How a failed delivery is tried again, and how often at most. */
  backoff: BackoffOptions;
  /** The HTTP client's limits. */
  post: PostOptions;
  /** Where deliveries, retries and drops are logged (never a Secret value or a Slack URL). */
  logger: Logger;
  /** Jitter of the backoff; a test may fix it. */
  random: () => number;
}

export function defaultNotifierOptions(logger: Logger): NotifierOptions {
  return {
    allowedUrls: [],
    namespace: undefined,
    defaultServiceAccount: undefined,
    openTimeoutMs: 10_000,
    queueLimit: 10_000,
    maxPendingPerPolicy: 100,
    backoff: defaultBackoffOptions(),
    post: defaultPostOptions(),
    logger,
    random: Math.random,
  };
}

/** One policy as last seen, with its lane and the condition last written. */
interface Known {
  policy: NotificationPolicy;
  lane: Lane;
  /** The generation whose target was judged; a status write does not move it. */
  judged: number | undefined;
  written: PolicyCondition | undefined;
}

const keyOf = (ns: string, name: string): string => `${ns}/${name}`;

/**
 * Sends outcomes to where NotificationPolicies say. `tap` is handed to the Controller: it
 * queues and returns, and all sending happens in the background, so no reconcile ever waits
 * for a receiver. Policies are watched; each gets a Lane (rate limit, order, retries).
 */
export class Notifier {
  private readonly known = new Map<string, Known>();
  private readonly inbox: Occurrence[] = [];
  private draining = false;
  private droppedInbox = 0;
  private watch: WatchManager | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: NotifierOptions,
  ) {}

  /** The Controller's OutcomeTap: matches nothing here, only queues. */
  readonly tap: OutcomeTap = (a: Announcement): void => {
    const o = occurrenceOf(a, new Date());
    if (o === undefined || this.stopped) return;
    if (this.inbox.length >= this.opts.queueLimit) {
      if (this.droppedInbox++ === 0)
        this.opts.logger.warn({ limit: this.opts.queueLimit }, 'notification queue full; dropping');
      return;
    }
    this.inbox.push(o);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => {
        this.drain();
      });
    }
  };

  /** Starts watching NotificationPolicies; without the CRD, tries again every 30 s. */
  async start(): Promise<void> {
    const info = await this.cluster.discovery
      .resolve(ballastApiVersion, notificationPolicyKind)
      .catch(() => undefined);
    if (this.stopped) return;
    if (info === undefined) {
      this.retryTimer = setTimeout(() => void this.start(), 30_000);
      return;
    }
    this.watch = new WatchManager(this.cluster.http, {
      labelSelector: '',
      namespace: this.opts.namespace,
      announceInitialList: true,
      onEvent: (e) => {
        if (e.type === 'DELETED')
          this.forget(e.object.metadata.namespace ?? '', e.object.metadata.name);
        else void this.observe(e.object);
      },
      onError: (e) => {
        this.opts.logger.warn({ err: e.message }, 'NotificationPolicy watch error');
      },
    });
    // A watch the apiserver refuses (403) never opens: the controller must start all the same.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => {
        resolve('late');
      }, this.opts.openTimeoutMs);
    });
    const opened = await Promise.race([this.watch.ensure(info).then(() => 'open' as const), late]);
    clearTimeout(timer);
    if (opened === 'late')
      this.opts.logger.warn(
        { waitedMs: this.opts.openTimeoutMs },
        'NotificationPolicies not listed yet; notifications start once they are',
      );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const k of this.known.values()) k.lane.stop();
    await this.watch?.stop();
  }

  /** Messages waiting in all lanes, for tests and metrics. */
  pending(): number {
    return [...this.known.values()].reduce((n, k) => n + k.lane.depth(), 0);
  }

  private drain(): void {
    this.draining = false;
    const batch = this.inbox.splice(0);
    if (this.droppedInbox > 0) {
      this.opts.logger.warn(
        { dropped: this.droppedInbox },
        'notifications dropped: queue was full',
      );
      this.droppedInbox = 0;
    }
    for (const o of batch)
      for (const k of this.known.values()) if (selects(k.policy, o)) k.lane.offer(o);
  }

  private forget(ns: string, name: string): void {
    const key = keyOf(ns, name);
    this.known.get(key)?.lane.stop();
    this.known.delete(key);
  }

  /** A policy was added or changed: keep it, and judge its target when its spec moved. */
  private async observe(raw: unknown): Promise<void> {
    const parsed = parseNotificationPolicy(raw);
    const meta = (raw as { metadata?: { namespace?: string; name?: string } }).metadata;
    const key = keyOf(meta?.namespace ?? '', meta?.name ?? '');
    if (parsed.kind === 'error') {
      // The CRD refuses what the parser does; one that slipped past is ignored, and said so.
      this.opts.logger.warn(
        { policy: key, err: parsed.error.message },
        'NotificationPolicy ignored',
      );
      this.forget(meta?.namespace ?? '', meta?.name ?? '');
      return;
    }
    const policy = parsed.value;
    const known = this.known.get(key) ?? this.newKnown(key, policy);
    known.policy = policy;
    if (known.judged === policy.metadata.generation) return;
    known.judged = policy.metadata.generation;
    try {
      const r = await resolveTarget(policy, this.opts.allowedUrls, this.reader(policy));
      await this.setCondition(known, r.kind === 'ok' ? undefined : r.problem);
    } catch (e) {
      // The apiserver did not answer; the next event or delivery judges it again.
      known.judged = undefined;
      this.opts.logger.warn(
        { policy: key, err: e instanceof Error ? e.message : String(e) },
        'NotificationPolicy not judged yet',
      );
    }
  }

  private newKnown(key: string, policy: NotificationPolicy): Known {
    const known: Known = {
      policy,
      judged: undefined,
      // Ready is the only condition type.
      written: policy.status?.conditions?.[0],
      lane: new Lane({
        limit: () => ({
          burst: known.policy.spec.rateLimit.burst,
          windowMs: parseDuration(known.policy.spec.rateLimit.window) ?? 60_000,
        }),
        attempt: (m, n) => this.attempt(known, m, n),
        dropped: (m, why) => {
          this.opts.logger.warn({ policy: key, message: m.kind, why }, 'notification dropped');
        },
        maxPending: this.opts.maxPendingPerPolicy,
        now: () => Date.now(),
      }),
    };
    this.known.set(key, known);
    return known;
  }

  /** One attempt to send one message; its Secrets are read afresh, so a rotation applies at once. */
  private async attempt(known: Known, m: Message, attempt: number): Promise<Verdict> {
    const policy = known.policy;
    let r: Awaited<ReturnType<typeof resolveTarget>>;
    try {
      r = await resolveTarget(policy, this.opts.allowedUrls, this.reader(policy));
    } catch {
      // The apiserver failed to answer (not a refusal): the message waits, as for a receiver.
      const why = { kind: 'network', error: 'the Secret could not be read' } as const;
      return verdictOf(why, attempt, this.opts.backoff, Date.now(), this.opts.random);
    }
    if (r.kind === 'error') {
      await this.setCondition(known, r.problem);
      return { kind: 'give-up', why: r.problem.reason };
    }
    const req = requestOf(policy, r.target, m);
    if (req === undefined) return { kind: 'delivered' };
    const answer = await postJson(req.url, req.body, req.headers, this.opts.post);
    const v = verdictOf(answer, attempt, this.opts.backoff, Date.now(), this.opts.random);
    const subject = keyOf(policy.metadata.namespace ?? '', policy.metadata.name);
    const what = answer.kind === 'status' ? `HTTP ${answer.status}` : answer.error;
    if (v.kind === 'delivered') {
      this.opts.logger.debug({ policy: subject, message: m.kind, attempt }, 'notification sent');
      await this.setCondition(known, undefined);
    } else if (v.kind === 'retry')
      this.opts.logger.info(
        { policy: subject, attempt, answer: what, retryInMs: Math.round(v.afterMs) },
        'notification will be retried',
      );
    else
      await this.setCondition(known, {
        reason: 'DeliveryFailed',
        message: `a message was not delivered: ${v.why}`,
      });
    return v;
  }

  /** Reads a Secret entry in the policy's namespace, as the policy's ServiceAccount. */
  private reader(policy: NotificationPolicy) {
    const ns = policy.metadata.namespace ?? '';
    const name = policy.spec.serviceAccountName ?? this.opts.defaultServiceAccount;
    const identity: Identity =
      name === undefined ? { kind: 'own' } : { kind: 'serviceAccount', namespace: ns, name };
    const acting = identity.kind === 'own' ? this.cluster : this.cluster.as(identity);
    return async (ref: { name: string; key: string }): Promise<string | undefined> => {
      const secret = await acting
        .get({ apiVersion: 'v1', kind: 'Secret', metadata: { name: ref.name, namespace: ns } })
        .catch((e: unknown) => {
          // Forbidden is an answer (the ServiceAccount may not read it); anything else is retried.
          if (e instanceof KubeApiError && e.status === 403) return undefined;
          throw e;
        });
      const data = secret?.['data'] as Record<string, unknown> | undefined;
      const v = data !== undefined && Object.hasOwn(data, ref.key) ? data[ref.key] : undefined;
      return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
    };
  }

  /** Writes Ready when it changed: True once the target is usable, False with the problem. */
  private async setCondition(
    known: Known,
    problem: { reason: string; message: string } | undefined,
  ): Promise<void> {
    const next = policyCondition(known.written, known.policy.metadata.generation, problem);
    if (next === undefined) return;
    try {
      await writePolicyStatus(this.cluster, known.policy, next);
      known.written = next;
    } catch (e) {
      this.opts.logger.warn(
        {
          policy: keyOf(known.policy.metadata.namespace ?? '', known.policy.metadata.name),
          err: e instanceof Error ? e.message : String(e),
        },
        'NotificationPolicy status not written',
      );
    }
  }
}
