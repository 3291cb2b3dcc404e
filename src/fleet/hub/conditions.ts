/** One metav1.Condition as the fleet kinds store it. */
export interface FleetCondition<T extends string = string> {
  type: T;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** What a condition should say; its transition time is worked out by `setConditions`. */
export type ConditionValue<T extends string = string> = Omit<
  FleetCondition<T>,
  'lastTransitionTime'
>;

/** RFC 3339 to the second, as metav1.Time is written. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Sets conditions, keeping each one's lastTransitionTime while its status does not flip, as
 * the Kubernetes API conventions require; other types are kept as they are.
 */
export function setConditions<T extends string>(
  current: readonly FleetCondition<T>[],
  next: readonly ConditionValue<T>[],
  nowMs: number,
): FleetCondition<T>[] {
  const types = new Set(next.map((c) => c.type));
  const updated = next.map((c): FleetCondition<T> => {
    const prev = current.find((p) => p.type === c.type);
    const lastTransitionTime =
      prev !== undefined && prev.status === c.status ? prev.lastTransitionTime : rfc3339(nowMs);
    return { ...c, message: c.message.slice(0, 4096), lastTransitionTime };
  });
  return [...current.filter((c) => !types.has(c.type)), ...updated];
}

/** Structural equality of JSON values, key order ignored: a status unchanged is not written. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson(ra[k], rb[k]));
}
