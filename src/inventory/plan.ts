import { refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import { inventoryOf, type Inventory } from './inventory.js';
import { describeOwner, isPruneDisabled, isTrackedBy, type ApplicationId } from './tracking.js';

export interface PrunePlanInput {
  /** The Application being synced. */
  application: ApplicationId;
  /** The inventory recorded by the last successful sync. */
  previous: Inventory;
  /** Identities of everything the new revision renders. */
  desired: readonly ObjectRef[];
  /**
   * The live objects for the previous inventory's entries, as found in the cluster; an entry
   * with no live object here is taken as already gone. Extra objects are ignored.
   */
  live: readonly KubeObject[];
}

/** Why an entry of the previous inventory stays. */
export type KeepReason =
  | { kind: 'desired' }
  | { kind: 'prune-disabled' }
  /** The live object has no tracking label: someone took it away from Ballast, or never gave it. */
  | { kind: 'untracked' }
  /** The tracking label names another Application, which owns it now. */
  | { kind: 'tracked-by-other'; owner: string };

export interface PrunePlan {
  /** Live objects to delete, sorted by identity. */
  toPrune: KubeObject[];
  /** Entries of the previous inventory that stay, and why. */
  toKeep: { ref: ObjectRef; reason: KeepReason }[];
  /** Entries of the previous inventory that no longer exist: nothing to delete. */
  gone: ObjectRef[];
  /**
   * The inventory to record once the prunes have succeeded: everything desired, plus what is
   * kept only because pruning is disabled (still ours, and pruned once the annotation goes).
   * Untracked and foreign objects leave it: they are not ours any more.
   */
  next: Inventory;
}

/**
 * Decides what to prune: an object from the previous inventory is pruned only when it is no
 * longer desired, still exists, carries this Application's tracking label, and does not
 * disable pruning. Every previous entry ends up in exactly one of toPrune, toKeep and gone.
 */
export function planPrune(input: PrunePlanInput): PrunePlan {
  const desired = new Set(input.desired.map(refKey));
  const live = new Map(input.live.map((obj) => [refKey(refOf(obj)), obj]));
  const plan: Omit<PrunePlan, 'next'> = { toPrune: [], toKeep: [], gone: [] };
  for (const ref of input.previous.entries) {
    if (desired.has(refKey(ref))) {
      plan.toKeep.push({ ref, reason: { kind: 'desired' } });
      continue;
    }
    const obj = live.get(refKey(ref));
    if (obj === undefined) {
      plan.gone.push(ref);
      continue;
    }
    const reason = keepReason(obj, input.application);
    if (reason === undefined) plan.toPrune.push(obj);
    else plan.toKeep.push({ ref, reason });
  }
  const stillOurs = plan.toKeep.filter((k) => k.reason.kind === 'prune-disabled').map((k) => k.ref);
  return { ...plan, next: inventoryOf([...input.desired, ...stillOurs]) };
}

/** Why a live object that left Git must stay, or undefined when it may be pruned. */
function keepReason(obj: KubeObject, app: ApplicationId): KeepReason | undefined {
  if (!isTrackedBy(obj, app)) {
    const owner = describeOwner(obj);
    return owner === undefined ? { kind: 'untracked' } : { kind: 'tracked-by-other', owner };
  }
  if (isPruneDisabled(obj)) return { kind: 'prune-disabled' };
  return undefined;
}
