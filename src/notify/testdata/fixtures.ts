import type { NotificationPolicy } from '../../api/notification-policy.js';
import { parseNotificationPolicy } from '../../api/notification-policy.js';
import type { Occurrence } from '../outcome.js';

export const sha = '0123456789abcdef0123456789abcdef01234567';

/** An occurrence of team-a/web, with overrides. */
export function occurrence(over: Partial<Occurrence> = {}): Occurrence {
  return {
    outcome: 'DriftReverted',
    kind: 'Application',
    namespace: 'team-a',
    name: 'web',
    labels: { tier: 'front' },
    reason: 'DriftReverted',
    message: 'Deployment.apps/team-a/web changed by kubectl (spec.replicas); reverted',
    revision: sha,
    time: '2026-12-07T23:00:00Z',
    ...over,
  };
}

/** A parsed policy in team-a; throws on a fixture the parser refuses. */
export function policy(spec: Record<string, unknown>): NotificationPolicy {
  const r = parseNotificationPolicy({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'NotificationPolicy',
    metadata: { name: 'hooks', namespace: 'team-a', generation: 1 },
    spec,
  });
  if (r.kind === 'error') throw r.error;
  return r.value;
}
