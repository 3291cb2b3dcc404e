import type { KubeObject } from '../api/object.js';
import {
  conditions,
  count,
  describe,
  isUnobserved,
  text,
  unobservedMessage,
  type Condition,
} from './read.js';
import { degraded, healthy, progressing, suspended, type HealthReport } from './report.js';

/**
 * A HorizontalPodAutoscaler: AbleToScale False (it cannot read or write the target's scale)
 * is Degraded, and so is ScalingActive False (it cannot compute a replica count, e.g. metrics
 * are unavailable), except for reason ScalingDisabled: the target was scaled to zero on
 * purpose, which is Suspended. AbleToScale True is Healthy.
 */
export function horizontalPodAutoscalerHealth(obj: KubeObject): HealthReport {
  if (isUnobserved(obj, 'optional')) return progressing(unobservedMessage(obj));
  const found = hpaConditions(obj);
  const able = found.find((c) => c.type === 'AbleToScale');
  if (able?.status === 'False') return degraded(`cannot scale: ${describe(able)}`);
  const active = found.find((c) => c.type === 'ScalingActive');
  if (active?.status === 'False') {
    if (active.reason === 'ScalingDisabled') return suspended(describe(active));
    return degraded(`cannot compute a replica count: ${describe(active)}`);
  }
  if (able?.status === 'True') {
    const current = count(obj, 'status', 'currentReplicas');
    const desired = count(obj, 'status', 'desiredReplicas');
    return healthy(`${current} replicas, ${desired} desired`);
  }
  return progressing('waiting for the autoscaler to report');
}

/**
 * autoscaling/v2 has `status.conditions`; autoscaling/v1 carries the same conditions as JSON in
 * an annotation, which is read defensively since anyone can write an annotation.
 */
function hpaConditions(obj: KubeObject): Condition[] {
  const found = conditions(obj);
  if (found.length > 0) return found;
  const annotation = text(
    obj,
    'metadata',
    'annotations',
    'autoscaling.alpha.kubernetes.io/conditions',
  );
  if (annotation === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(annotation);
    return conditions({ ...obj, status: { conditions: parsed } });
  } catch {
    return [];
  }
}
