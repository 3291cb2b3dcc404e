import { refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import { refusal, SyncObjectError } from './errors.js';
import { planBatches, type Stage } from './order.js';
import { needsTakeover, takeOverManagedFields } from './ownership.js';
import type { PlannedObject } from './plan.js';
import { mapBounded } from './pool.js';

export interface ExecuteOptions {
  concurrency: number;
  /** How long to wait for new CRDs to become Established. */
  crdTimeoutMs: number;
  /** Called after each batch, for progress lines. */
  onBatch: (b: { stage: Stage; wave: number; applied: number; unchanged: number }) => void;
  /** Called with each object as the apiserver stored it, as soon as its apply returns. */
  onApplied?: (stored: KubeObject) => void;
  /**
   * Set for a blind sync (nothing was read first). Each object is then applied without force,
   * so that one which existed after all is not overwritten unseen. If that apply conflicts with
   * another manager's fields, the object is planned again with this, read live, and applied as
   * planned.
   */
  replan?: (p: PlannedObject) => Promise<PlannedObject>;
}

/** The objects a rolled-back cold sync had created: deleted again, or left in place. */
export interface RolledBack {
  /** Deleted again (or already gone). */
  deleted: ObjectRef[];
  /** Their delete failed: they remain. */
  left: ObjectRef[];
}

/** What happened to one planned object. */
export type ApplyOutcome =
  /** `created`: the apply created the object (the apiserver answered 201). */
  | { kind: 'applied'; planned: PlannedObject; result: KubeObject; created: boolean }
  | { kind: 'unchanged'; planned: PlannedObject }
  | { kind: 'failed'; planned: PlannedObject; error: SyncObjectError };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Should this object be written? Only when it is new, drifted, or being taken over. */
export function shouldApply(p: PlannedObject): boolean {
  return (
    p.deferred ||
    p.recreate ||
    p.takeover ||
    p.entry.action === 'create' ||
    p.entry.action === 'configure'
  );
}

async function takeOver(cluster: Cluster, live: KubeObject): Promise<void> {
  await cluster.jsonPatch(live, [
    { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
    { op: 'replace', path: '/metadata/managedFields', value: takeOverManagedFields(live) },
  ]);
}

async function recreate(cluster: Cluster, obj: KubeObject): Promise<void> {
  await cluster.delete(
    { ...refOf(obj), apiVersion: obj.apiVersion },
    { propagationPolicy: 'Foreground' },
  );
  const deadline = Date.now() + 60_000;
  while ((await cluster.get(obj)) !== undefined) {
    if (Date.now() > deadline)
      throw new Error('the old object was not gone within 60 s of its deletion');
    await sleep(100);
  }
}

interface ApplyHooks {
  onApplied?: ExecuteOptions['onApplied'] | undefined;
  replan?: ExecuteOptions['replan'] | undefined;
}

async function applyOne(
  cluster: Cluster,
  p: PlannedObject,
  hooks: ApplyHooks,
): Promise<ApplyOutcome> {
  if (!shouldApply(p)) return { kind: 'unchanged', planned: p };
  const obj = p.prepared.object;
  try {
    if (hooks.replan !== undefined) return await applyBlind(cluster, p, hooks.replan, hooks);
    if (p.takeover && p.live !== undefined) await takeOver(cluster, p.live);
    if (p.recreate) await recreate(cluster, obj);
    const { object: result, created } = await cluster.applyReporting(obj);
    hooks.onApplied?.(result);
    return { kind: 'applied', planned: p, result, created };
  } catch (e) {
    // A replan refused the object (another Application's), naming it already.
    if (e instanceof SyncObjectError) return { kind: 'failed', planned: p, error: e };
    return {
      kind: 'failed',
      planned: p,
      error: new SyncObjectError(refOf(obj), p.prepared.origin, refusal(e), { cause: e }),
    };
  }
}

/**
 * Applies an object nobody read, without force. Created (201): done. Changed (200): it existed
 * without a tracking label and took our fields without conflict; kubectl's fields are then
 * taken over, as for a planned apply. A conflict (409): it existed with other values of ours
 * owned by another manager, so it goes through the planned path: read, ownership check, dry
 * run, forced apply.
 */
async function applyBlind(
  cluster: Cluster,
  p: PlannedObject,
  replan: (p: PlannedObject) => Promise<PlannedObject>,
  hooks: ApplyHooks,
): Promise<ApplyOutcome> {
  const obj = p.prepared.object;
  let stored: { object: KubeObject; created: boolean };
  try {
    stored = await cluster.applyReporting(obj, { force: false });
  } catch (e) {
    if (!(e instanceof KubeApiError && e.status === 409)) throw e;
    return applyOne(cluster, await replan(p), { onApplied: hooks.onApplied });
  }
  let result = stored.object;
  if (!stored.created && needsTakeover(result)) {
    await takeOver(cluster, result);
    result = await cluster.apply(obj);
  }
  hooks.onApplied?.(result);
  return { kind: 'applied', planned: p, result, created: stored.created };
}

/** Has the apiserver begun serving this CRD's kind? */
export function isEstablished(crd: KubeObject | undefined): boolean {
  const conds = (crd?.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conds?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

/**
 * What a rollback deletes: the objects the applies created (answered 201), newest first, so
 * that an object is gone before what it was created after (a workload before its ConfigMap).
 */
export function createdNewestFirst(outcomes: readonly ApplyOutcome[]): KubeObject[] {
  return outcomes.flatMap((o) => (o.kind === 'applied' && o.created ? [o.result] : [])).reverse();
}

/**
 * Undoes a cold sync that failed part-way: every object it created is deleted again, newest
 * first. Only a cold sync calls this: it created all it applied, so deleting is a complete
 * undo, except for an object a blind sync found existing without a tracking label, which
 * keeps the fields it was given.
 */
export async function rollBackCreates(
  cluster: Pick<Cluster, 'delete'>,
  outcomes: readonly ApplyOutcome[],
): Promise<RolledBack> {
  const undone: RolledBack = { deleted: [], left: [] };
  for (const obj of createdNewestFirst(outcomes)) {
    // A 404 counts as deleted: the object is gone either way.
    const gone = await cluster
      .delete({ ...refOf(obj), apiVersion: obj.apiVersion }, { propagationPolicy: 'Background' })
      .then(
        () => true,
        () => false,
      );
    (gone ? undone.deleted : undone.left).push(refOf(obj));
  }
  return undone;
}

/** Waits until every CRD is Established, then refreshes discovery so their kinds resolve. */
export async function waitForCrds(
  cluster: Cluster,
  crds: readonly KubeObject[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    while (!isEstablished(await cluster.get(crd))) {
      if (Date.now() > deadline) {
        throw new SyncObjectError(
          refOf(crd),
          undefined,
          `not Established within ${timeoutMs} ms; check its schema and the apiserver log`,
        );
      }
      await sleep(100);
    }
  }
  await cluster.discovery.refresh();
}

/** What one batch's outcomes mean for the next: stop after a failure, else wait for its CRDs. */
export type BatchVerdict = { counts: { applied: number; unchanged: number } } & (
  { kind: 'stop' } | { kind: 'continue'; newCrds: KubeObject[] }
);

export function afterBatch(results: readonly ApplyOutcome[]): BatchVerdict {
  const counts = {
    applied: results.filter((r) => r.kind === 'applied').length,
    unchanged: results.filter((r) => r.kind === 'unchanged').length,
  };
  // Later batches may depend on this one (a Deployment on its ConfigMap, a CR on its CRD).
  if (results.some((r) => r.kind === 'failed')) return { counts, kind: 'stop' };
  const newCrds = results.flatMap((r) =>
    r.kind === 'applied' && r.result.kind === 'CustomResourceDefinition' ? [r.result] : [],
  );
  return { counts, kind: 'continue', newCrds };
}

/**
 * Applies the plan batch by batch: foundation kinds first, then waves, each wave's admission
 * configuration last. A batch runs concurrently; a failed batch stops the sync, since later
 * batches may depend on it.
 */
export async function executePlan(
  cluster: Cluster,
  planned: readonly PlannedObject[],
  opts: ExecuteOptions,
): Promise<ApplyOutcome[]> {
  const byObject = new Map(planned.map((p) => [p.prepared.object, p]));
  const outcomes: ApplyOutcome[] = [];
  for (const batch of planBatches(planned.map((p) => p.prepared.object))) {
    const items = batch.objects.map((o) => byObject.get(o) as PlannedObject);
    const settled = await mapBounded(items, opts.concurrency, (p) => applyOne(cluster, p, opts));
    const results = settled
      .map((s) => (s.status === 'fulfilled' ? s.value : undefined))
      .filter((x) => x !== undefined);
    outcomes.push(...results);
    const next = afterBatch(results);
    opts.onBatch({ stage: batch.stage, wave: batch.wave, ...next.counts });
    if (next.kind === 'stop') break;
    if (next.newCrds.length > 0) await waitForCrds(cluster, next.newCrds, opts.crdTimeoutMs);
  }
  return outcomes;
}
