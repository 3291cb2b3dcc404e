import type { KubeObject } from '../../api/object.js';
import { parseAssignment, type Assignment } from '../assignment.js';

/** Parse results by the stored object they came from; a new version is a new object. */
const parsed = new WeakMap<KubeObject, Assignment | null>();

/**
 * A stored Assignment as the hub reads it (unknown fields dropped), or undefined when it does
 * not parse. Each stored version is parsed once: every run of a FleetApplication and of a
 * Cluster reads the same hundreds of Assignments, most of them unchanged since the last run.
 * The store's objects are never mutated, only replaced, so a cached parse cannot go stale.
 */
export function readAssignment(raw: KubeObject): Assignment | undefined {
  const hit = parsed.get(raw);
  if (hit !== undefined) return hit ?? undefined;
  const p = parseAssignment(raw, { unknownFields: 'drop' });
  const value = p.kind === 'ok' ? p.value : null;
  parsed.set(raw, value);
  return value ?? undefined;
}
