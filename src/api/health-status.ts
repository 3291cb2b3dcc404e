// The health statuses an Application reports (status.health.status): declared with the API,
// which validates them, and assessed by health/.

export type HealthStatus =
  'Healthy' | 'Suspended' | 'Progressing' | 'Unknown' | 'Missing' | 'Degraded';

/**
 * Health from best to worst. The order answers "how urgently does someone need to look?":
 * - Healthy: nothing to do.
 * - Suspended: someone paused it on purpose (a paused Deployment, a suspended CronJob); not
 *   running, but as intended.
 * - Progressing: moving towards healthy by itself; waiting is the right response.
 * - Unknown: the object does not say how it is, so no one can say it will recover; worse than
 *   a state known to be transient.
 * - Missing: the object does not exist, so whatever it provides is certainly not provided.
 * - Degraded: it exists and has reported a failure that will not fix itself (a rollout past its
 *   deadline, a crash-looping Pod, a failed Job); someone has to act.
 */
export const HEALTH_ORDER: readonly HealthStatus[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Unknown',
  'Missing',
  'Degraded',
];
