import type { KubeObject } from '../api/object.js';
import { at, condition, count, describe } from './read.js';
import { degraded, healthy, progressing, suspended, type HealthReport } from './report.js';

/**
 * A Job, by its terminal conditions: Failed (or FailureTarget, set while the failed Job's pods
 * are being terminated) is Degraded; Complete (or SuccessCriteriaMet, its twin for success
 * policies) is Healthy. A suspended Job runs no pods on purpose. Otherwise it is running.
 */
export function jobHealth(obj: KubeObject): HealthReport {
  for (const type of ['Failed', 'FailureTarget']) {
    const c = condition(obj, type);
    if (c?.status === 'True') return degraded(`failed: ${describe(c)}`);
  }
  for (const type of ['Complete', 'SuccessCriteriaMet']) {
    if (condition(obj, type)?.status === 'True') {
      return healthy(`completed: ${count(obj, 'status', 'succeeded')} succeeded`);
    }
  }
  if (at(obj, 'spec', 'suspend') === true) return suspended('the Job is suspended');
  const active = count(obj, 'status', 'active');
  const succeeded = count(obj, 'status', 'succeeded');
  const failed = count(obj, 'status', 'failed');
  return progressing(`running: ${active} active, ${succeeded} succeeded, ${failed} failed`);
}
