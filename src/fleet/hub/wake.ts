import type { KubeObject } from '../../api/object.js';
import { sameJson } from './conditions.js';

/**
 * How soon an Assignment's watch event needs a run of its FleetApplication and Cluster:
 * `now` when it changes what the hub wrote or whether it exists (created, deleted, its spec,
 * labels or annotations edited), `soon` when only its status moved, which is what agents
 * report, hundreds of times per commit. The hub's own write coming back through the watch
 * is `soon` too: the hub recorded it in its store when the write returned.
 */
export function assignmentWake(
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
  before: KubeObject | undefined,
  after: KubeObject,
): 'now' | 'soon' {
  if (type === 'DELETED' || before === undefined) return 'now';
  const generation = (o: KubeObject): number =>
    typeof o.metadata.generation === 'number' ? o.metadata.generation : 0;
  // An event older than what the store holds (the hub's own write came first) is no news.
  if (generation(after) < generation(before)) return 'soon';
  const same =
    generation(after) === generation(before) &&
    after.metadata.deletionTimestamp === before.metadata.deletionTimestamp &&
    sameJson(after.metadata.labels, before.metadata.labels) &&
    sameJson(after.metadata.annotations, before.metadata.annotations);
  return same ? 'soon' : 'now';
}
