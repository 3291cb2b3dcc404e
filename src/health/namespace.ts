import type { KubeObject } from '../api/object.js';
import { conditions, describe, text } from './read.js';
import { degraded, healthy, progressing, unknown, type HealthReport } from './report.js';

/** Conditions the namespace controller sets when deleting the content failed (not just slow). */
const DELETION_FAILURES: ReadonlySet<string> = new Set([
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
]);

/**
 * A Namespace is Healthy while Active. While Terminating it is Progressing, unless the
 * namespace controller reports that deleting its content failed; then deletion is stuck until
 * someone acts, which is Degraded.
 */
export function namespaceHealth(obj: KubeObject): HealthReport {
  const phase = text(obj, 'status', 'phase');
  if (phase === 'Active') return healthy('active');
  if (phase !== 'Terminating') return unknown(`phase ${phase ?? 'not reported'}`);
  const all = conditions(obj).filter((c) => c.status === 'True');
  const failure = all.find((c) => DELETION_FAILURES.has(c.type));
  if (failure !== undefined) return degraded(`deletion is stuck: ${describe(failure)}`);
  const remaining = all.find(
    (c) => c.type === 'NamespaceContentRemaining' || c.type === 'NamespaceFinalizersRemaining',
  );
  return progressing(
    remaining === undefined ? 'being deleted' : `being deleted: ${describe(remaining)}`,
  );
}
