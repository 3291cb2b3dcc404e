import type { KubeObject } from '../api/object.js';
import { condition, count, describe, int, isUnobserved, unobservedMessage } from './read.js';
import { degraded, healthy, progressing, type HealthReport } from './report.js';

/**
 * A ReplicaSet: Degraded when the controller reports ReplicaFailure (it cannot create pods,
 * e.g. a quota or an admission webhook refuses them), Progressing until all replicas are
 * available.
 */
export function replicaSetHealth(obj: KubeObject): HealthReport {
  if (isUnobserved(obj, 'always')) return progressing(unobservedMessage(obj));
  const failure = condition(obj, 'ReplicaFailure');
  if (failure?.status === 'True') return degraded(`cannot create pods: ${describe(failure)}`);
  const replicas = int(obj, 'spec', 'replicas') ?? 1;
  const available = count(obj, 'status', 'availableReplicas');
  if (available < replicas) return progressing(`${available} of ${replicas} replicas available`);
  return healthy(`${available} of ${replicas} replicas available`);
}
