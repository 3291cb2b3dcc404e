import type { HealthStatus } from '../api/health-status.js';
import type { NotificationOutcome } from '../api/notification-policy.js';
import type { Announcement } from '../reconcile/status.js';

/** One outcome of one Application (or FleetApplication), as the notifier handles it. */
export interface Occurrence {
  outcome: NotificationOutcome;
  /** Application or FleetApplication. */
  kind: string;
  namespace: string;
  name: string;
  /** The object's labels, which policies select on. */
  labels: Readonly<Record<string, string>>;
  /** The Event's reason, e.g. Synced or UnsignedCommit. */
  reason: string;
  message: string;
  revision?: string | undefined;
  health?: HealthStatus | undefined;
  /** RFC 3339. */
  time: string;
}

/** Events whose reason names an outcome of its own; every other Warning is a failed pass. */
const byReason: Readonly<Record<string, NotificationOutcome>> = {
  Synced: 'SyncSucceeded',
  Drifted: 'DriftDetected',
  DriftReverted: 'DriftReverted',
  RolloutHalted: 'RolloutHalted',
  HealthDegraded: 'HealthDegraded',
  HealthRecovered: 'HealthRecovered',
};

/** A warning about a commit that was applied anyway: not a failure. */
const notFailures = new Set(['LargeCommit']);

/** The outcome an announcement is, or undefined when it is none a policy can ask for. */
export function outcomeOf(
  a: Pick<Announcement, 'type' | 'reason' | 'refused'>,
): NotificationOutcome | undefined {
  if (Object.hasOwn(byReason, a.reason)) return byReason[a.reason];
  // A Normal Event such as SecretRotated or RolloutStarted is no outcome a policy names.
  if (a.type !== 'Warning' || notFailures.has(a.reason)) return undefined;
  return a.refused === true ? 'CommitRefused' : 'SyncFailed';
}

/** The occurrence an announcement is, stamped with its time; undefined for none. */
export function occurrenceOf(a: Announcement, at: Date): Occurrence | undefined {
  const outcome = outcomeOf(a);
  if (outcome === undefined) return undefined;
  const meta = a.involved.metadata;
  return {
    outcome,
    kind: a.involved.kind,
    namespace: meta.namespace ?? '',
    name: meta.name,
    labels: meta.labels ?? {},
    reason: a.reason,
    message: a.message,
    revision: a.revision,
    health: a.health,
    time: at.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** `namespace/name`, as people read an Application. */
export function subjectOf(o: Pick<Occurrence, 'namespace' | 'name'>): string {
  return `${o.namespace}/${o.name}`;
}
