import { matchesLabelSelector } from '../api/label-selector.js';
import type { NotificationPolicy } from '../api/notification-policy.js';
import type { Occurrence } from './outcome.js';

/**
 * Whether a policy hears an occurrence: the same namespace (a tenant's policy hears only its
 * own Applications), an outcome it lists, and labels its selector matches.
 */
export function selects(policy: NotificationPolicy, o: Occurrence): boolean {
  return (
    (policy.metadata.namespace ?? '') === o.namespace &&
    policy.spec.outcomes.includes(o.outcome) &&
    matchesLabelSelector(policy.spec.selector, o.labels)
  );
}
