import type { KubeObject } from '../api/object.js';
import { at, text } from './read.js';
import { healthy, suspended, type HealthReport } from './report.js';

/**
 * A CronJob only schedules Jobs; the Jobs carry their own health. It is Suspended when
 * `spec.suspend` stops the schedule, and Healthy otherwise.
 */
export function cronJobHealth(obj: KubeObject): HealthReport {
  const schedule = text(obj, 'spec', 'schedule') ?? '?';
  if (at(obj, 'spec', 'suspend') === true) return suspended(`schedule "${schedule}" is suspended`);
  const last = text(obj, 'status', 'lastScheduleTime');
  return healthy(
    `schedule "${schedule}"; ${last === undefined ? 'not run yet' : `last run ${last}`}`,
  );
}
