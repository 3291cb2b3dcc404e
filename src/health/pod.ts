import type { KubeObject } from '../api/object.js';
import { at, condition, describe, list, text } from './read.js';
import { degraded, healthy, progressing, unknown, type HealthReport } from './report.js';

/**
 * Reasons a kubelet gives for a waiting container that will not start without a change:
 * the image cannot be pulled, the container config is wrong, or it keeps crashing.
 */
const STUCK_WAITING_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/**
 * A Pod: Succeeded is Healthy and Failed is Degraded. A Pod whose container is stuck (see
 * STUCK_WAITING_REASONS) is Degraded in any phase. A running Pod that restarts forever
 * (restartPolicy Always) is Healthy once Ready; one meant to finish (OnFailure, Never) is
 * Progressing until it does. Phase Unknown means the node stopped reporting.
 */
export function podHealth(obj: KubeObject): HealthReport {
  const phase = text(obj, 'status', 'phase');
  const stuck = stuckContainer(obj);
  switch (phase) {
    case 'Succeeded':
      return healthy('completed');
    case 'Failed':
      return degraded(text(obj, 'status', 'message') ?? text(obj, 'status', 'reason') ?? 'failed');
    case 'Pending':
      if (stuck !== undefined) return degraded(stuck);
      return progressing(pendingMessage(obj));
    case 'Running':
      return runningHealth(obj, stuck);
    default:
      return unknown(`phase ${phase ?? 'not reported'}; the node may have stopped reporting`);
  }
}

function runningHealth(obj: KubeObject, stuck: string | undefined): HealthReport {
  if (stuck !== undefined) return degraded(stuck);
  const restartPolicy = text(obj, 'spec', 'restartPolicy') ?? 'Always';
  if (restartPolicy !== 'Always') return progressing('running to completion');
  const ready = condition(obj, 'Ready');
  if (ready?.status === 'True') return healthy('running and ready');
  const statuses = list(obj, 'status', 'containerStatuses');
  const readyCount = statuses.filter((s) => at(s, 'ready') === true).length;
  return progressing(`${readyCount} of ${statuses.length} containers ready`);
}

/** "container app: CrashLoopBackOff: back-off 5m0s restarting failed container", or undefined. */
function stuckContainer(obj: KubeObject): string | undefined {
  for (const field of ['initContainerStatuses', 'containerStatuses']) {
    for (const status of list(obj, 'status', field)) {
      const reason = text(status, 'state', 'waiting', 'reason');
      if (reason === undefined || !STUCK_WAITING_REASONS.has(reason)) continue;
      const name = text(status, 'name') ?? '?';
      const message = text(status, 'state', 'waiting', 'message');
      return `container ${name}: ${reason}${message === undefined ? '' : `: ${message}`}`;
    }
  }
  return undefined;
}

function pendingMessage(obj: KubeObject): string {
  const scheduled = condition(obj, 'PodScheduled');
  if (scheduled?.status === 'False') return `not scheduled: ${describe(scheduled)}`;
  return 'pending';
}
