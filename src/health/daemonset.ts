import type { KubeObject } from '../api/object.js';
import { count, isUnobserved, text, unobservedMessage } from './read.js';
import { healthy, progressing, type HealthReport } from './report.js';

/**
 * A DaemonSet, as `kubectl rollout status` judges it: every node that should run a pod runs an
 * updated one, and it is available. With OnDelete, updates wait for someone to delete pods, so
 * only availability counts.
 */
export function daemonSetHealth(obj: KubeObject): HealthReport {
  if (isUnobserved(obj, 'always')) return progressing(unobservedMessage(obj));
  const desired = count(obj, 'status', 'desiredNumberScheduled');
  const updated = count(obj, 'status', 'updatedNumberScheduled');
  const available = count(obj, 'status', 'numberAvailable');
  const onDelete = text(obj, 'spec', 'updateStrategy', 'type') === 'OnDelete';
  if (!onDelete && updated < desired) return progressing(`${updated} of ${desired} pods updated`);
  if (available < desired) return progressing(`${available} of ${desired} pods available`);
  return healthy(`${available} of ${desired} pods available`);
}
