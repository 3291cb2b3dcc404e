import { refKey, type ObjectRef } from '../api/object.js';

/**
 * The objects an Application created, as of its last sync: identities only, sorted by group,
 * kind, namespace, name, without duplicates. Build it with inventoryOf so that holds.
 */
export interface Inventory {
  readonly entries: readonly ObjectRef[];
}

/** Orders identities field by field (code points, not locale), so output is stable anywhere. */
export function compareRefs(a: ObjectRef, b: ObjectRef): number {
  for (const field of ['group', 'kind', 'namespace', 'name'] as const) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  return 0;
}

export function inventoryOf(refs: Iterable<ObjectRef>): Inventory {
  const unique = new Map<string, ObjectRef>();
  for (const ref of refs) {
    const { group, kind, namespace, name } = ref; // copy: an Inventory never shares caller objects
    unique.set(refKey(ref), { group, kind, namespace, name });
  }
  return { entries: [...unique.values()].sort(compareRefs) };
}

export const emptyInventory: Inventory = { entries: [] };
