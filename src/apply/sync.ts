import { refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import {
  configureEntry,
  countByAction,
  defaultDiffOptions,
  type ChangeSet,
  type ChangeSetEntry,
  type DiffOptions,
} from '../diff/index.js';
import { refusal, SyncObjectError } from './errors.js';
import { executePlan, rollBackCreates, type ApplyOutcome } from './execute.js';
import { LiveReader } from './live.js';
import { planExisting, planObjects, type PlannedObject } from './plan.js';
import { prepareObjects, type DesiredObject, type PreparedObject } from './prepare.js';
import { planPruneFor, pruneObjects, type PruneOutcome } from './prune.js';
import { configMapInventory, nextInventory, type InventoryStore } from './store.js';

export interface SyncOptions {
  /** Plan and diff only; write nothing. */
  dryRun: boolean;
  /** Delete objects that left Git (and still carry our tracking label). */
  prune: boolean;
  /** Take objects carrying another Application's tracking label. */
  adopt: boolean;
  /** Delete and recreate objects whose immutable fields changed. */
  forceRecreate: boolean;
  /** Create the default namespace first when it does not exist (Argo CD's CreateNamespace). */
  createNamespace: boolean;
  /** Requests in flight at once. */
  concurrency: number;
  /** How long new CRDs may take to become Established. */
  crdTimeoutMs: number;
  diff: DiffOptions;
  /** Progress lines for the reconciler or CLI to narrate. */
  onProgress: (line: string) => void;
  /**
   * Each object as the apiserver stores it, as soon as that is known: as read live before the
   * apply, then as each apply answers. The controller's drift and health tracking start from it.
   */
  onStored: (obj: KubeObject) => void;
  /**
   * Whether watches know, now, that no object with this identity carries a tracking label.
   * When it holds for every object of a first sync (empty inventory), nothing is read before
   * applying: a thousand new Applications then cost the apiserver no GETs that answer 404.
   */
  untracked?: (obj: KubeObject) => Promise<boolean>;
}

export function defaultSyncOptions(): SyncOptions {
  return {
    dryRun: false,
    prune: false,
    adopt: false,
    forceRecreate: false,
    createNamespace: false,
    concurrency: 16,
    crdTimeoutMs: 60_000,
    diff: defaultDiffOptions(),
    onProgress: () => undefined,
    onStored: () => undefined,
  };
}

export interface SyncTarget {
  /** The Application the objects belong to (the CLI's `--app`): tracking label and inventory. */
  app: { name: string; namespace: string };
  /** Namespace given to namespaced objects that name none. */
  defaultNamespace: string;
  objects: readonly DesiredObject[];
  /** Where the inventory is kept; the ConfigMap `ballast-inventory-<name>` when unset. */
  inventory?: InventoryStore;
}

/**
 * What a refused sync wrote before it was refused, so that a report says "nothing was
 * changed" only when that is true.
 */
export interface RefusalEffects {
  /** The namespace createNamespace created first; a refusal keeps it. */
  namespaceCreated: string | undefined;
  /** Objects a cold sync created before an apply was refused, deleted again. */
  rolledBack: ObjectRef[];
  /** Objects a cold sync created whose delete then failed: they remain. */
  leftBehind: ObjectRef[];
}

export type SyncResult =
  /**
   * The objects could not all be planned, or a cold sync's apply was refused and rolled back.
   * `effects` says what was written and undone meanwhile.
   */
  | { kind: 'refused'; errors: SyncObjectError[]; effects: RefusalEffects }
  /** Planned (and, unless dry-run, applied and pruned). `errors` lists apply and prune failures. */
  | {
      kind: 'done';
      changeSet: ChangeSet;
      applied: ApplyOutcome[];
      pruned: PruneOutcome[];
      errors: SyncObjectError[];
      /** The applied objects as the apiserver stored them, for health checks. */
      live: KubeObject[];
    };

/** The plan's progress line: how many objects are to be created, configured, or left. */
export function planSummary(planned: readonly PlannedObject[]): string {
  const n = countByAction({ entries: planned.map((p) => p.entry) });
  return `${n.create} to create, ${n.configure} to configure, ${n.unchanged} unchanged`;
}

/**
 * What the plan reads live with, or undefined when it can read nothing: a first sync (empty
 * inventory) whose every object is known to carry no tracking label, by the controller's
 * watches or else by the reader's LISTs of every tracked object of those kinds.
 */
async function readsNeeded(
  cluster: Cluster,
  prepared: readonly PreparedObject[],
  firstSync: boolean,
  opts: SyncOptions,
): Promise<LiveReader | undefined> {
  // A kind whose CRD comes in this sync is not served yet, so nothing can be known of it.
  const knowable = firstSync && !opts.dryRun && !prepared.some((p) => p.crdInSet);
  const watched = opts.untracked;
  if (knowable && watched !== undefined) {
    const known = await Promise.all(prepared.map((p) => watched(p.object)));
    if (known.every(Boolean)) return undefined;
  }
  const reader = await LiveReader.prefetch(cluster, prepared, knowable);
  return knowable && prepared.every((p) => reader.untracked(p.object)) ? undefined : reader;
}

/**
 * The plan's entries as the applies turned out: an object replanned after a blind apply has
 * its new entry, and a create that met an existing object (it answered 200) configured it.
 */
export function entriesAsApplied(
  planned: readonly PlannedObject[],
  applied: readonly ApplyOutcome[],
): ChangeSetEntry[] {
  const outcomes = new Map(applied.map((a) => [a.planned.prepared, a]));
  return planned.map((p) => {
    const a = outcomes.get(p.prepared);
    if (a === undefined) return p.entry;
    if (a.kind === 'applied' && !a.created && a.planned.entry.action === 'create')
      return configureEntry(a.planned.entry, 'it existed already: adopted');
    return a.planned.entry;
  });
}

/**
 * The objects as the apiserver stores them after the applies, for health checks: each apply's
 * answer, and the live read of what needed none. A failed apply has nothing to report.
 */
export function storedObjects(applied: readonly ApplyOutcome[]): KubeObject[] {
  return applied.flatMap((a) => {
    if (a.kind === 'applied') return [a.result];
    return a.kind === 'unchanged' && a.planned.live !== undefined ? [a.planned.live] : [];
  });
}

/** What createNamespace found or did before the plan. */
type NamespaceOutcome =
  | { kind: 'existed' }
  /** Created, or in a dry run to be created: its objects cannot be dry-run before it exists. */
  | { kind: 'created' }
  | { kind: 'refused'; error: SyncObjectError };

/** Creates the namespace unless it exists; a dry run only says it would. */
async function ensureNamespace(
  cluster: Cluster,
  name: string,
  opts: Pick<SyncOptions, 'dryRun' | 'onProgress'>,
): Promise<NamespaceOutcome> {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  try {
    if ((await cluster.get(ns)) !== undefined) return { kind: 'existed' };
    if (opts.dryRun) {
      opts.onProgress(`namespace ${name} would be created`);
      return { kind: 'created' };
    }
    await cluster.apply(ns);
    opts.onProgress(`namespace ${name} created`);
    return { kind: 'created' };
  } catch (e) {
    const problem = `createNamespace could not create it: ${refusal(e)}`;
    return {
      kind: 'refused',
      error: new SyncObjectError(refOf(ns), undefined, problem, { cause: e }),
    };
  }
}

/**
 * One sync: prepare (scope, namespace, tracking label), plan every object by dry run, and only
 * when all of them can be planned, apply in stages and prune what left Git. A cold sync (no
 * object exists yet) skips the dry runs and instead rolls back what it created on a refusal.
 * A first sync of objects known to carry no tracking label is cold without reading them.
 */
export async function sync(
  cluster: Cluster,
  target: SyncTarget,
  opts: SyncOptions,
): Promise<SyncResult> {
  const { prepared, errors: prepErrors } = await prepareObjects(
    cluster,
    target.objects,
    target.app,
    target.defaultNamespace,
  );
  const unchanged: RefusalEffects = { namespaceCreated: undefined, rolledBack: [], leftBehind: [] };
  if (prepErrors.length > 0) return { kind: 'refused', errors: prepErrors, effects: unchanged };
  const ns = opts.createNamespace
    ? await ensureNamespace(cluster, target.defaultNamespace, opts)
    : undefined;
  if (ns?.kind === 'refused') return { kind: 'refused', errors: [ns.error], effects: unchanged };
  // A dry run's 'created' namespace is only planned.
  const effects: RefusalEffects = {
    ...unchanged,
    namespaceCreated: ns?.kind === 'created' && !opts.dryRun ? target.defaultNamespace : undefined,
  };
  const store = target.inventory ?? configMapInventory(cluster, target.app);
  const inventory = await store.read();
  const reads = await readsNeeded(cluster, prepared, inventory.entries.length === 0, opts);
  const blind = reads === undefined;
  const planOptions = {
    app: target.app,
    adopt: opts.adopt,
    forceRecreate: opts.forceRecreate,
    concurrency: opts.concurrency,
    diff: opts.diff,
    previouslyApplied: new Set(inventory.entries.map(refKey)),
    // A dry run cannot validate objects in a namespace that does not exist yet.
    namespacesCreated: ns?.kind === 'created' ? [target.defaultNamespace] : [],
    // A diff or dry run must still validate every object, since nothing is applied after it.
    validateColdCreates: opts.dryRun,
  };
  const {
    planned,
    errors: planErrors,
    cold,
  } = await planObjects(cluster, prepared, planOptions, reads);
  if (planErrors.length > 0) return { kind: 'refused', errors: planErrors, effects };
  opts.onProgress(`plan: ${planSummary(planned)}`);

  const prune = await planPruneFor(
    cluster,
    inventory,
    prepared.map((p) => p.object),
    target.app,
    opts,
  );
  if (opts.dryRun) {
    const entries = [...planned.map((p) => p.entry), ...prune.entries];
    return { kind: 'done', changeSet: { entries }, applied: [], pruned: [], errors: [], live: [] };
  }

  // Everything read live now; what gets applied is reported again, newer, as each apply returns.
  for (const p of planned) if (p.live !== undefined) opts.onStored(p.live);
  const applied = await executePlan(cluster, planned, {
    concurrency: opts.concurrency,
    crdTimeoutMs: opts.crdTimeoutMs,
    onApplied: opts.onStored,
    ...(blind ? { replan: (p) => planExisting(cluster, p.prepared, planOptions) } : {}),
    onBatch: (b) => {
      opts.onProgress(
        `apply: stage ${b.stage}${b.wave === 0 ? '' : ` wave ${b.wave}`}: ${b.applied} applied, ${b.unchanged} unchanged`,
      );
    },
  });
  const errors = applied.flatMap((a) => (a.kind === 'failed' ? [a.error] : []));
  if (cold && errors.length > 0) {
    const undone = await rollBackCreates(cluster, applied);
    opts.onProgress(
      `rolled back: deleted the ${undone.deleted.length} object(s) this sync had created`,
    );
    return {
      kind: 'refused',
      errors,
      effects: { ...effects, rolledBack: undone.deleted, leftBehind: undone.left },
    };
  }
  const pruned =
    errors.length === 0 && opts.prune ? await pruneObjects(cluster, prune.toPrune) : [];
  errors.push(...pruned.flatMap((p) => (p.kind === 'failed' ? [p.error] : [])));
  await store.write(nextInventory(planned, applied, pruned, prune.gone, inventory), inventory);
  const entries = [...entriesAsApplied(planned, applied), ...prune.entries];
  const live = storedObjects(applied);
  return { kind: 'done', changeSet: { entries }, applied, pruned, errors, live };
}
