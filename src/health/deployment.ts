import type { KubeObject } from '../api/object.js';
import { condition, count, describe, int, isUnobserved, unobservedMessage, at } from './read.js';
import { degraded, healthy, progressing, suspended, type HealthReport } from './report.js';

/**
 * A Deployment, as `kubectl rollout status` judges it: paused is Suspended; a rollout past
 * `progressDeadlineSeconds` (the controller sets reason ProgressDeadlineExceeded) is Degraded;
 * otherwise it is Progressing until every desired replica is updated, old ones are gone and
 * the updated ones are available.
 */
export function deploymentHealth(obj: KubeObject): HealthReport {
  if (at(obj, 'spec', 'paused') === true) return suspended('the rollout is paused');
  if (isUnobserved(obj, 'always')) return progressing(unobservedMessage(obj));
  const rollout = condition(obj, 'Progressing');
  if (rollout?.reason === 'ProgressDeadlineExceeded') {
    return degraded(`the rollout exceeded its progress deadline: ${describe(rollout)}`);
  }
  const desired = int(obj, 'spec', 'replicas') ?? 1;
  const updated = count(obj, 'status', 'updatedReplicas');
  const total = count(obj, 'status', 'replicas');
  const available = count(obj, 'status', 'availableReplicas');
  if (updated < desired) return progressing(`${updated} of ${desired} replicas updated`);
  if (total > updated) return progressing(`${total - updated} old replicas pending termination`);
  if (available < updated)
    return progressing(`${available} of ${updated} updated replicas available`);
  return healthy(`${available} of ${desired} replicas available`);
}
