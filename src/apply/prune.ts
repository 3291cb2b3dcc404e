import { formatRef, refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { pruneEntry, skipEntry, type ChangeSetEntry } from '../diff/index.js';
import { refusal, SyncObjectError } from './errors.js';
import { compareForApply, stageOf } from './order.js';
import {
  isPruneDisabled,
  isTrackedBy,
  PRUNE_ANNOTATION,
  type Inventory,
} from '../inventory/index.js';

export type PruneOutcome =
  { kind: 'deleted'; ref: ObjectRef } | { kind: 'failed'; ref: ObjectRef; error: SyncObjectError };

/**
 * Should this live object be deleted now that it left Git? Only if it still carries this
 * app's tracking label (someone may have taken it over) and nobody annotated it
 * `ballast.dev/prune: disabled`.
 */
export function isPrunable(live: KubeObject, app: { name: string; namespace: string }): boolean {
  return isTrackedBy(live, app) && !isPruneDisabled(live);
}

/**
 * The live object an inventory entry names. The inventory holds no version: any version the
 * apiserver serves reads the object, so discovery's preferred one is asked. A kind no longer
 * served has no objects left.
 */
async function readEntry(cluster: Cluster, ref: ObjectRef): Promise<KubeObject | undefined> {
  const read = await cluster.getRef(ref);
  return read.kind === 'served' ? read.live : undefined;
}

export interface PrunePlan {
  toPrune: KubeObject[];
  entries: ChangeSetEntry[];
  /** Entries whose object no longer exists: the next inventory drops them. */
  gone: ObjectRef[];
}

/** Objects in the last inventory that are no longer desired, read live and filtered by isPrunable. */
export async function planPruneFor(
  cluster: Cluster,
  inventory: Inventory,
  desired: readonly KubeObject[],
  app: { name: string; namespace: string },
  opts: { prune: boolean },
): Promise<PrunePlan> {
  const wanted = new Set(desired.map((o) => refKey(refOf(o))));
  const plan: PrunePlan = { toPrune: [], entries: [], gone: [] };
  for (const ref of inventory.entries.filter((r) => !wanted.has(refKey(r)))) {
    // A failed read keeps the entry: the object may still exist, and the next sync looks again.
    const live = await readEntry(cluster, ref).catch(() => null);
    if (live === undefined) plan.gone.push(ref);
    if (live === undefined || live === null) continue;
    const subject = refOf(live);
    if (!isPrunable(live, app)) {
      const why = isPruneDisabled(live)
        ? `annotated ${PRUNE_ANNOTATION}: disabled`
        : "it no longer carries this application's tracking label";
      plan.entries.push(skipEntry(subject, `left Git but is not pruned: ${why}`));
      continue;
    }
    plan.toPrune.push(live);
    const note = opts.prune ? '' : `${formatRef(subject)} would be pruned (sync with --prune)`;
    plan.entries.push(pruneEntry(subject, note));
  }
  return plan;
}

/** Deletes in reverse apply order (workloads before their Namespace, CRs before CRDs). */
export async function pruneObjects(
  cluster: Cluster,
  toPrune: readonly KubeObject[],
): Promise<PruneOutcome[]> {
  const ordered = [...toPrune].sort((a, b) => stageOf(b) - stageOf(a) || compareForApply(b, a));
  const outcomes: PruneOutcome[] = [];
  for (const obj of ordered) {
    const ref = refOf(obj);
    try {
      await cluster.delete({ ...ref, apiVersion: obj.apiVersion });
      outcomes.push({ kind: 'deleted', ref });
    } catch (e) {
      outcomes.push({
        kind: 'failed',
        ref,
        error: new SyncObjectError(
          ref,
          undefined,
          `prune failed: ${refusal(e)}; it stays in the inventory and is retried next sync`,
          { cause: e },
        ),
      });
    }
  }
  return outcomes;
}
