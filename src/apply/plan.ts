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
import { describeOwner, hasTrackingLabel, ownerName } from '../inventory/index.js';
import { isOwnedBy } from '../api/tracking.js';
import type { ApplicationId } from '../api/app-key.js';
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
  /** The Application the objects belong to: who owns a live object is compared with it. */
  app: ApplicationId;
  /** Take objects that carry another Application's tracking label. */
  adopt: boolean;
  /** Delete and recreate objects whose immutable fields changed. */
  forceRecreate: boolean;
  /** Reads and dry runs in flight at once. */
  concurrency: number;
  /** How entries are compared and whether they carry diff text. */
  diff: DiffOptions;
}

function isImmutableError(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && e.status === 422 && /immutable/i.test(e.apiMessage);
}

/** A namespaced object whose namespace this sync creates answers NotFound to a dry run. */
function awaitsItsNamespace(
  e: unknown,
  p: PreparedObject,
  namespacesInSet: ReadonlySet<string>,
): boolean {
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

/** What planning decided about one object. */
export type PlanDecision =
  | { kind: 'planned'; planned: PlannedObject }
  /** It cannot be synced as it is; the error names the object, its file and the fix. */
  | { kind: 'refused'; error: SyncObjectError };

/** What can be decided before asking the apiserver: a decision, or a dry run to ask for. */
export type BeforeDryRun = PlanDecision | { kind: 'dry-run'; takeover: boolean };

/** The apiserver's answer to the dry-run apply of one object. */
export type DryRunAnswer =
  { kind: 'answered'; stored: KubeObject } | { kind: 'refused'; error: unknown };

const planned = (
  p: PreparedObject,
  live: KubeObject | undefined,
  entry: ChangeSetEntry,
  how: { takeover?: boolean; recreate?: boolean } = {},
): PlanDecision => ({
  kind: 'planned',
  planned: {
    prepared: p,
    live,
    entry,
    takeover: how.takeover ?? false,
    recreate: how.recreate ?? false,
    deferred: false,
  },
});

/** An object applied in order without a dry run: its entry is a create of the whole object. */
function deferredPlan(p: PreparedObject, opts: Pick<PlanOptions, 'diff'>): PlanDecision {
  const entry = diffObject(p.object, undefined, opts.diff);
  const how = { takeover: false, recreate: false, deferred: true };
  return { kind: 'planned', planned: { prepared: p, live: undefined, entry, ...how } };
}

/**
 * Decides what it can about one object from its live state alone: deferred (a cold sync, or
 * its CRD comes in this sync), a finished Job left gone, another Application's object refused,
 * nothing to change. Otherwise the object needs a dry run, and says whether kubectl's fields
 * are to be taken over first.
 */
export function decideBeforeDryRun(
  p: PreparedObject,
  live: KubeObject | undefined,
  opts: Pick<PlanOptions, 'adopt' | 'app' | 'diff' | 'previouslyApplied'>,
  cold: boolean,
): BeforeDryRun {
  if (p.crdInSet || cold) return deferredPlan(p, opts);
  if (live === undefined && isFinishedJob(p.object, opts.previouslyApplied))
    return planned(p, live, unchangedEntry(refOf(p.object)));
  // Another Application's object, or one whose label names no Application we can verify.
  if (live !== undefined && hasTrackingLabel(live) && !isOwnedBy(live, opts.app) && !opts.adopt) {
    const problem = `already belongs to application ${describeOwner(live) ?? ''}, not ${ownerName(opts.app)}; remove it from one of the two repos, or adopt it explicitly (--adopt)`;
    return { kind: 'refused', error: new SyncObjectError(refOf(p.object), p.origin, problem) };
  }
  const takeover = live !== undefined && needsTakeover(live);
  // Nothing to change and nothing to validate: the dry run would only confirm it.
  if (live !== undefined && !takeover && appliesNothing(p.object, live, fieldManager))
    return planned(p, live, unchangedEntry(refOf(p.object)));
  return { kind: 'dry-run', takeover };
}

/**
 * Decides from the dry run's answer: the diff of what the apiserver would store against what
 * it stores; a deferral when the object's namespace comes in this sync; a recreate when an
 * immutable field changed and the user opted in; otherwise the refusal, said for a person.
 */
export function decideFromDryRun(
  p: PreparedObject,
  live: KubeObject | undefined,
  takeover: boolean,
  answer: DryRunAnswer,
  opts: Pick<PlanOptions, 'diff' | 'forceRecreate'>,
  namespacesInSet: ReadonlySet<string>,
): PlanDecision {
  if (answer.kind === 'answered') {
    const entry = diffObject(answer.stored, live, opts.diff);
    if (takeover && entry.action === 'unchanged')
      return planned(p, live, configureEntry(entry, 'fields owned by kubectl are taken over'), {
        takeover,
      });
    return planned(p, live, entry, { takeover });
  }
  const e = answer.error;
  if (live === undefined && awaitsItsNamespace(e, p, namespacesInSet)) return deferredPlan(p, opts);
  const refused = (problem: string): PlanDecision => ({
    kind: 'refused',
    error: new SyncObjectError(refOf(p.object), p.origin, problem, { cause: e }),
  });
  if (!isImmutableError(e)) return refused(refusal(e));
  const optedIn =
    opts.forceRecreate || p.object.metadata.annotations?.[forceAnnotation] === 'enabled';
  if (!optedIn)
    return refused(
      `${e.apiMessage}; to delete and recreate it, annotate it ${forceAnnotation}: enabled or sync with --force`,
    );
  const entry = diffObject(p.object, live, opts.diff);
  return planned(p, live, configureEntry(entry, 'recreated: an immutable field changed'), {
    recreate: true,
  });
}

async function planOne(
  cluster: Cluster,
  p: PreparedObject,
  opts: PlanOptions,
  namespacesInSet: ReadonlySet<string>,
  live: KubeObject | undefined,
  cold: boolean,
): Promise<PlanDecision> {
  const first = decideBeforeDryRun(p, live, opts, cold);
  if (first.kind !== 'dry-run') return first;
  const answer = await cluster.apply(p.object, { dryRun: true }).then(
    (stored): DryRunAnswer => ({ kind: 'answered', stored }),
    (error: unknown): DryRunAnswer => ({ kind: 'refused', error }),
  );
  return decideFromDryRun(p, live, first.takeover, answer, opts, namespacesInSet);
}

/** Plans one object of a blind sync again, read live: its apply found it existed after all. */
export async function planExisting(
  cluster: Cluster,
  p: PreparedObject,
  opts: PlanOptions,
): Promise<PlannedObject> {
  const decision = await planOne(cluster, p, opts, new Set(), await cluster.get(p.object), false);
  if (decision.kind === 'refused') throw decision.error;
  return decision.planned;
}

/** The namespaces this sync makes: those among its objects, and those createNamespace makes. */
export function namespacesInSync(
  prepared: readonly PreparedObject[],
  namespacesCreated: readonly string[],
): Set<string> {
  return new Set([
    ...namespacesCreated,
    ...prepared
      .filter((p) => p.object.kind === 'Namespace' && p.object.apiVersion === 'v1')
      .map((p) => p.object.metadata.name),
  ]);
}

/**
 * Is this sync cold: nothing it applies exists yet? Then every object is a create, so a refusal
 * can be undone by deleting what this sync made, and the dry runs that would otherwise guard
 * the cluster are skipped, halving the apiserver's work. A read that failed, or a finished Job
 * the last sync applied, makes it warm.
 */
export function isColdSync(
  prepared: readonly PreparedObject[],
  lives: readonly PromiseSettledResult<KubeObject | undefined>[],
  opts: Pick<PlanOptions, 'validateColdCreates' | 'previouslyApplied'>,
): boolean {
  return (
    !opts.validateColdCreates &&
    lives.every((r) => r.status === 'fulfilled' && r.value === undefined) &&
    !prepared.some((p) => isFinishedJob(p.object, opts.previouslyApplied))
  );
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
  const namespacesInSet = namespacesInSync(prepared, opts.namespacesCreated);
  const lives = await mapBounded(prepared, opts.concurrency, (p) =>
    p.crdInSet || reader === undefined ? Promise.resolve(undefined) : reader.get(p.object),
  );
  const liveOf = (i: number): KubeObject | undefined => {
    const r = lives[i];
    return r?.status === 'fulfilled' ? r.value : undefined;
  };
  const cold = isColdSync(prepared, lives, opts);
  const settled = await mapBounded(prepared, opts.concurrency, async (p, i) => {
    const r = lives[i];
    if (r?.status === 'rejected') throw r.reason;
    return planOne(cluster, p, opts, namespacesInSet, liveOf(i), cold);
  });
  const planned: PlannedObject[] = [];
  const errors: SyncObjectError[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') {
      if (s.value.kind === 'planned') planned.push(s.value.planned);
      else errors.push(s.value.error);
      return;
    }
    const p = prepared[i] as PreparedObject;
    errors.push(
      new SyncObjectError(refOf(p.object), p.origin, refusal(s.reason), { cause: s.reason }),
    );
  });
  return { planned, errors, cold };
}
