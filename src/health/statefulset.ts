import type { KubeObject } from '../api/object.js';
import { count, int, isUnobserved, text, unobservedMessage } from './read.js';
import { healthy, progressing, type HealthReport } from './report.js';

/**
 * A StatefulSet, as `kubectl rollout status` judges it: every replica ready (and available,
 * when minReadySeconds asks pods to prove themselves), then the update finished — up to the
 * partition for a partitioned rollout, all the way (current revision = update revision)
 * otherwise. With OnDelete, updates wait for someone to delete pods, so only readiness counts.
 */
export function statefulSetHealth(obj: KubeObject): HealthReport {
  if (isUnobserved(obj, 'always')) return progressing(unobservedMessage(obj));
  const replicas = int(obj, 'spec', 'replicas') ?? 1;
  const ready = count(obj, 'status', 'readyReplicas');
  if (ready < replicas) return progressing(`${ready} of ${replicas} pods ready`);
  if ((int(obj, 'spec', 'minReadySeconds') ?? 0) > 0) {
    const available = count(obj, 'status', 'availableReplicas');
    if (available < replicas) return progressing(`${available} of ${replicas} pods available`);
  }
  if (text(obj, 'spec', 'updateStrategy', 'type') === 'OnDelete') {
    return healthy(`${ready} of ${replicas} pods ready; updates wait for pods to be deleted`);
  }
  const updated = count(obj, 'status', 'updatedReplicas');
  const partition = int(obj, 'spec', 'updateStrategy', 'rollingUpdate', 'partition') ?? 0;
  if (partition > 0) {
    const due = Math.max(0, replicas - partition);
    if (updated < due) return progressing(`partitioned rollout: ${updated} of ${due} pods updated`);
    return healthy(`partitioned rollout done: ${updated} of ${replicas} pods updated`);
  }
  const current = text(obj, 'status', 'currentRevision');
  const update = text(obj, 'status', 'updateRevision');
  if (update !== undefined && current !== update) {
    return progressing(`rolling update: ${updated} of ${replicas} pods at revision ${update}`);
  }
  return healthy(`${ready} of ${replicas} pods ready`);
}
