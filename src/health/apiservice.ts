import type { KubeObject } from '../api/object.js';
import { condition, describe } from './read.js';
import { healthy, progressing, type HealthReport } from './report.js';

/**
 * An APIService is Healthy when Available. Not available is Progressing, not Degraded: the
 * backing Service usually starts after the APIService is registered, and discovery checks
 * fail until it does.
 */
export function apiServiceHealth(obj: KubeObject): HealthReport {
  const available = condition(obj, 'Available');
  if (available?.status === 'True') return healthy('available');
  if (available === undefined) return progressing('waiting for the aggregator to check it');
  return progressing(`not available: ${describe(available)}`);
}
