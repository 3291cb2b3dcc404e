import { refOf, type KubeObject } from '../api/object.js';
import { fieldManager, type Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import {
  appliesNothing,
  configureEntry,
  diffObject,
  unchangedEntry,
  type ChangeSetEntry,
  type DiffOptions,
} from '../diff/index.js';
import { isNamespaceMissing, refusal, SyncObjectError } from './errors.js';
import type { LiveReader } from './live.js';
import { needsTakeover } from './ownership.js';
import { mapBounded } from './pool.js';
import { TRACKING_LABEL } from '../inventory/index.js';
import type { PreparedObject } from './prepare.js';
import { inventoryKey } from './store.js';

export const forceAnnotation = 'ballast.dev/force';

/** What the sync will do with one object, decided before anything is written. */
export interface PlannedObject {
  prepared: PreparedObject;
  live: KubeObject | undefined;
  entry: ChangeSetEntry;
  /** Fields owned by kubectl's client-side managers are taken over before applying. */
  takeover: boolean;
  /** An immutable field changed and the user opted in: delete, then create. */
  recreate: boolean;
  /** Cannot be dry-run yet (its CRD or Namespace is created by this sync); applied in order. */
  deferred: boolean;
}

export interface PlanOptions {
  /**
   * Dry-run new objects even when none of the objects exists yet. Off for a real sync: a cold
   * sync then applies directly and rolls back what it created if one object is refused.
   */
  validateColdCreates: boolean;
  /** Namespaces this sync creates besides those among the objects (createNamespace). */
  namespacesCreated: readonly string[];
  /** Keys (see inventoryKey) of what the last sync applied, to recognise finished Jobs. */
  previouslyApplied: ReadonlySet<string>;
  app: string;
  /** Take objects that carry another Application's tracking label. */
  adopt: boolean;
  /** Delete and recreate objects whose immutable fields changed. */
  forceRecreate: boolean;
  concurrency: number;
  diff: DiffOptions;
}

function isImmutableError(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && e.status === 422 && /immutable/i.test(e.apiMessage);
}

/** A namespaced object whose namespace this sync creates answers NotFound to a dry run. */
function awaitsItsNamespace(e: unknown, p: PreparedObject, namespacesInSet: Set<string>): boolean {
  return (
    isNamespaceMissing(e) && p.namespaced && namespacesInSet.has(p.object.metadata.namespace ?? '')
  );
}

/**
 * Is this a Job the cluster removed after it finished? A Job with ttlSecondsAfterFinished is
 * deleted by the TTL controller once done (ingress-nginx's admission Jobs use 0). Re-creating
 * it would run it again on every sync, so a Job that the last sync applied and that is now
 * gone counts as unchanged. The price: a finished Job whose spec changes in Git is not run
 * again until it is renamed, which is how charts using this pattern roll their Jobs anyway.
 */
function isFinishedJob(obj: KubeObject, previouslyApplied: ReadonlySet<string>): boolean {
  const spec = obj.spec as { ttlSecondsAfterFinished?: unknown } | undefined;
  return (
    obj.kind === 'Job' &&
    obj.apiVersion === 'batch/v1' &&
    typeof spec?.ttlSecondsAfterFinished === 'number' &&
    previouslyApplied.has(inventoryKey(obj))
  );
}

async function planOne(
  cluster: Cluster,
  p: PreparedObject,
  opts: PlanOptions,
  namespacesInSet: Set<string>,
  live: KubeObject | undefined,
  cold: boolean,
): Promise<PlannedObject> {
  const deferred = (): PlannedObject => ({
    prepared: p,
    live: undefined,
    entry: diffObject(p.object, undefined, opts.diff),
    takeover: false,
    recreate: false,
    deferred: true,
  });
  if (p.crdInSet || cold) return deferred();
  if (live === undefined && isFinishedJob(p.object, opts.previouslyApplied)) {
    const entry = unchangedEntry(refOf(p.object));
    return { prepared: p, live, entry, takeover: false, recreate: false, deferred: false };
  }
  const owner = live?.metadata.labels?.[TRACKING_LABEL];
  if (owner !== undefined && owner !== p.object.metadata.labels?.[TRACKING_LABEL] && !opts.adopt) {
    throw new SyncObjectError(
      refOf(p.object),
      p.origin,
      `already belongs to application ${owner}, not ${opts.app}; remove it from one of the two repos, or adopt it explicitly (--adopt)`,
    );
  }
  const takeover = live !== undefined && needsTakeover(live);
  // Nothing to change and nothing to validate: the dry run would only confirm it.
  if (live !== undefined && !takeover && appliesNothing(p.object, live, fieldManager)) {
    const entry = unchangedEntry(refOf(p.object));
    return { prepared: p, live, entry, takeover, recreate: false, deferred: false };
  }
  try {
    const dryRun = await cluster.apply(p.object, { dryRun: true });
    let entry = diffObject(dryRun, live, opts.diff);
    if (takeover && entry.action === 'unchanged')
      entry = configureEntry(entry, 'fields owned by kubectl are taken over');
    return { prepared: p, live, entry, takeover, recreate: false, deferred: false };
  } catch (e) {
    if (live === undefined && awaitsItsNamespace(e, p, namespacesInSet)) return deferred();
    if (isImmutableError(e)) {
      const optedIn =
        opts.forceRecreate || p.object.metadata.annotations?.[forceAnnotation] === 'enabled';
      if (!optedIn) {
        throw new SyncObjectError(
          refOf(p.object),
          p.origin,
          `${e.apiMessage}; to delete and recreate it, annotate it ${forceAnnotation}: enabled or sync with --force`,
          { cause: e },
        );
      }
      const entry = diffObject(p.object, live, opts.diff);
      return {
        prepared: p,
        live,
        entry: configureEntry(entry, 'recreated: an immutable field changed'),
        takeover: false,
        recreate: true,
        deferred: false,
      };
    }
    throw new SyncObjectError(refOf(p.object), p.origin, refusal(e), { cause: e });
  }
}

/** Plans one object of a blind sync again, read live: its apply found it existed after all. */
export async function planExisting(
  cluster: Cluster,
  p: PreparedObject,
  opts: PlanOptions,
): Promise<PlannedObject> {
  return planOne(cluster, p, opts, new Set(), await cluster.get(p.object), false);
}

/**
 * Plans every object: reads it live through `reader`, dry-runs the apply and diffs the two. Nothing is written.
 * Returns every error, so one bad object does not hide the next.
 */
export async function planObjects(
  cluster: Cluster,
  prepared: readonly PreparedObject[],
  opts: PlanOptions,
  /**
   * Undefined for a blind sync: the caller knows nothing was applied before and no object with
   * these identities carries a tracking label, so nothing is read and every object is planned
   * as a cold create. Execute then applies them without force (see ExecuteOptions.replan).
   */
  reader: LiveReader | undefined,
): Promise<{ planned: PlannedObject[]; errors: SyncObjectError[]; cold: boolean }> {
  const namespacesInSet = new Set([
    ...opts.namespacesCreated,
    ...prepared
      .filter((p) => p.object.kind === 'Namespace' && p.object.apiVersion === 'v1')
      .map((p) => p.object.metadata.name),
  ]);
  const lives = await mapBounded(prepared, opts.concurrency, (p) =>
    p.crdInSet || reader === undefined ? Promise.resolve(undefined) : reader.get(p.object),
  );
  const liveOf = (i: number): KubeObject | undefined => {
    const r = lives[i];
    return r?.status === 'fulfilled' ? r.value : undefined;
  };
  // Nothing exists yet: every object is a create, so a refusal can be undone by deleting what
  // this sync made. The dry runs that would otherwise guard the cluster are skipped, halving
  // the apiserver's work on a cold sync.
  const cold =
    !opts.validateColdCreates &&
    lives.every((r) => r.status === 'fulfilled' && r.value === undefined) &&
    !prepared.some((p) => isFinishedJob(p.object, opts.previouslyApplied));
  const settled = await mapBounded(prepared, opts.concurrency, async (p, i) => {
    const r = lives[i];
    if (r?.status === 'rejected') throw r.reason;
    return planOne(cluster, p, opts, namespacesInSet, liveOf(i), cold);
  });
  const planned: PlannedObject[] = [];
  const errors: SyncObjectError[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') planned.push(s.value);
    else {
      const p = prepared[i] as PreparedObject;
      errors.push(
        s.reason instanceof SyncObjectError
          ? s.reason
          : new SyncObjectError(refOf(p.object), p.origin, refusal(s.reason), { cause: s.reason }),
      );
    }
  });
  return { planned, errors, cold };
}
