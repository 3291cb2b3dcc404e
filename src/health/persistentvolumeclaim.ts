import type { KubeObject } from '../api/object.js';
import { text } from './read.js';
import { degraded, healthy, progressing, unknown, type HealthReport } from './report.js';

/**
 * A PersistentVolumeClaim: Bound is Healthy; Pending is Progressing (provisioning, or waiting
 * for a first consumer Pod under WaitForFirstConsumer binding); Lost (its volume is gone) is
 * Degraded.
 */
export function persistentVolumeClaimHealth(obj: KubeObject): HealthReport {
  const phase = text(obj, 'status', 'phase');
  switch (phase) {
    case 'Bound':
      return healthy(`bound to ${text(obj, 'spec', 'volumeName') ?? 'a volume'}`);
    case 'Pending':
      return progressing('waiting for a volume to be bound');
    case 'Lost':
      return degraded('the bound volume no longer exists');
    default:
      return unknown(`phase ${phase ?? 'not reported'}`);
  }
}
