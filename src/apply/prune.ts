import { formatRef, groupOf, refKey, type KubeObject, type ObjectRef } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { diffObject, type ChangeSetEntry } from '../diff/index.js';
import { SyncObjectError } from './errors.js';
import { compareForApply, stageOf } from './order.js';
import { isPruneDisabled, isTrackedBy, PRUNE_ANNOTATION } from '../inventory/index.js';
import { itemOf, type InventoryItem, type StoredInventory } from './store.js';

export type PruneOutcome =
  | { kind: 'deleted'; item: InventoryItem }
  | { kind: 'failed'; item: InventoryItem; error: SyncObjectError };

/** Identity without the version: a CRD version bump must not prune its objects. */
const refOfItem = (i: InventoryItem): ObjectRef => ({
  group: groupOf(i.apiVersion),
  kind: i.kind,
  namespace: i.namespace,
  name: i.name,
});
const keyOf = (i: InventoryItem): string => refKey(refOfItem(i));

/**
 * Should this live object be deleted now that it left Git? Only if it still carries this
 * app's tracking label (someone may have taken it over) and nobody annotated it
 * `ballast.dev/prune: disabled`.
 */
export function isPrunable(live: KubeObject, app: { name: string; namespace: string }): boolean {
  return isTrackedBy(live, app) && !isPruneDisabled(live);
}

/** Objects in the last inventory that are no longer desired, read live and filtered by isPrunable. */
export async function planPruneFor(
  cluster: Cluster,
  inventory: StoredInventory,
  desired: readonly KubeObject[],
  app: { name: string; namespace: string },
  opts: { prune: boolean },
): Promise<{ toPrune: KubeObject[]; entries: ChangeSetEntry[] }> {
  const wanted = new Set(desired.map((o) => keyOf(itemOf(o))));
  const gone = inventory.items.filter((i) => !wanted.has(keyOf(i)));
  const toPrune: KubeObject[] = [];
  const entries: ChangeSetEntry[] = [];
  for (const item of gone) {
    const live = await cluster
      .get({
        apiVersion: item.apiVersion,
        kind: item.kind,
        metadata: {
          name: item.name,
          ...(item.namespace === '' ? {} : { namespace: item.namespace }),
        },
      })
      .catch(() => undefined);
    if (live === undefined) continue;
    if (!isPrunable(live, app)) {
      const e = diffObject(live, live);
      entries.push({
        ...e,
        action: 'skip',
        reason: `left Git but is not pruned: ${isPruneDisabled(live) ? `annotated ${PRUNE_ANNOTATION}: disabled` : "it no longer carries this application's tracking label"}`,
        diff: '',
      });
      continue;
    }
    toPrune.push(live);
    const e = diffObject(live, live);
    entries.push({
      ...e,
      action: 'prune',
      changedPaths: [''],
      diff: opts.prune ? '' : `${formatRef(e.subject)} would be pruned (sync with --prune)`,
    });
  }
  return { toPrune, entries };
}

/** Deletes in reverse apply order (workloads before their Namespace, CRs before CRDs). */
export async function pruneObjects(
  cluster: Cluster,
  toPrune: readonly KubeObject[],
): Promise<PruneOutcome[]> {
  const ordered = [...toPrune].sort((a, b) => stageOf(b) - stageOf(a) || compareForApply(b, a));
  const outcomes: PruneOutcome[] = [];
  for (const obj of ordered) {
    const item = itemOf(obj);
    try {
      await cluster.delete({ ...refOfItem(item), apiVersion: obj.apiVersion });
      outcomes.push({ kind: 'deleted', item });
    } catch (e) {
      outcomes.push({
        kind: 'failed',
        item,
        error: new SyncObjectError(
          refOfItem(item),
          undefined,
          `prune failed: ${String(e)}; it stays in the inventory and is retried next sync`,
          { cause: e },
        ),
      });
    }
  }
  return outcomes;
}
