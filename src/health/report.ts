import { HEALTH_ORDER, type HealthStatus } from '../api/health-status.js';
import { formatRef, type ObjectRef } from '../api/object.js';

export { HEALTH_ORDER, type HealthStatus };

export interface HealthReport {
  status: HealthStatus;
  /** One sentence for a human, e.g. "2 of 3 updated replicas are available". */
  message: string;
}

/** The worse of two statuses, by HEALTH_ORDER. */
export function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  return HEALTH_ORDER.indexOf(a) >= HEALTH_ORDER.indexOf(b) ? a : b;
}

export const healthy = (message: string): HealthReport => ({ status: 'Healthy', message });
export const progressing = (message: string): HealthReport => ({ status: 'Progressing', message });
export const degraded = (message: string): HealthReport => ({ status: 'Degraded', message });
export const suspended = (message: string): HealthReport => ({ status: 'Suspended', message });
export const unknown = (message: string): HealthReport => ({ status: 'Unknown', message });

/** The health of one object, named. */
export interface SubjectHealth {
  subject: ObjectRef;
  health: HealthReport;
}

/** How many of the worst objects an aggregate message names before it says "and N more". */
const NAMED_IN_AGGREGATE = 3;

/**
 * The health of a set of objects: the worst status among them, and a message naming the
 * objects in that status. An empty set is Healthy: an Application with nothing to run has
 * nothing failing.
 */
export function aggregateHealth(items: readonly SubjectHealth[]): HealthReport {
  let status: HealthStatus = 'Healthy';
  for (const item of items) status = worse(status, item.health.status);
  if (status === 'Healthy') {
    return healthy(`${items.length} ${items.length === 1 ? 'object' : 'objects'} healthy`);
  }
  const worst = items.filter((item) => item.health.status === status);
  const named = worst
    .slice(0, NAMED_IN_AGGREGATE)
    .map((item) => `${formatRef(item.subject)}: ${item.health.message}`);
  const more = worst.length - named.length;
  const tail = more > 0 ? `; and ${more} more` : '';
  return {
    status,
    message: `${worst.length} of ${items.length} ${status}: ${named.join('; ')}${tail}`,
  };
}
