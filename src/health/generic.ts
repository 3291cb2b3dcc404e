import type { KubeObject } from '../api/object.js';
import { condition, conditions, describe, isUnobserved, unobservedMessage } from './read.js';
import { degraded, healthy, progressing, unknown, type HealthReport } from './report.js';

/**
 * Any kind without its own rules, read by the conventions most controllers follow (the ones
 * kstatus codifies):
 * - Stalled True: the controller gave up; Degraded.
 * - observedGeneration behind metadata.generation, or Reconciling True: Progressing.
 * - Ready, else Available: True is Healthy, False is Progressing (a controller reports a
 *   failure that will not heal by Stalled, not by Ready False), Unknown is Unknown.
 * - No such conditions, or no status at all (ConfigMaps, RBAC): existing is all there is to
 *   check, so Healthy.
 */
export function genericHealth(obj: KubeObject): HealthReport {
  const stalled = condition(obj, 'Stalled');
  if (stalled?.status === 'True') return degraded(`stalled: ${describe(stalled)}`);
  if (isUnobserved(obj, 'optional')) return progressing(unobservedMessage(obj));
  const reconciling = condition(obj, 'Reconciling');
  if (reconciling?.status === 'True') return progressing(`reconciling: ${describe(reconciling)}`);
  const readiness = condition(obj, 'Ready') ?? condition(obj, 'Available');
  if (readiness === undefined) {
    return healthy(
      conditions(obj).length === 0 ? 'exists' : 'exists; reports no readiness condition',
    );
  }
  switch (readiness.status) {
    case 'True':
      return healthy(readiness.message || readiness.type);
    case 'False':
      return progressing(`not ${readiness.type.toLowerCase()}: ${describe(readiness)}`);
    case 'Unknown':
      return unknown(`${readiness.type} is Unknown: ${describe(readiness)}`);
  }
}
