import { parseAppKey, type AppKey } from '../../api/app-key.js';
import { refOf, type KubeObject } from '../../api/object.js';
import { InvalidResourceError } from '../../api/resource.js';
import { parseDuration } from '../../api/schema-duration.js';
import { KubeApiError } from '../../cluster/errors.js';
import { apiFailureOutcome } from '../../reconcile/errors.js';
import type { Outcome, ReconcileContext } from '../../reconcile/runner.js';
import type { GitRemote } from '../../source/git.js';
import { aggregateFleetStatus, type Failure } from '../aggregate.js';
import type { Assignment } from '../assignment.js';
import { readAssignment } from './read-assignment.js';
import { parseFleetApplication, type FleetApplication } from '../fleet-application.js';
import { assignmentName, clusterNamespace } from '../names.js';
import { sameJson } from './conditions.js';
import { ownerOf, type HubContext, type Resolved } from './context.js';
import { fleetStatus, stalledStatus, type Stall } from './fleet-status.js';
import { applyAsHub, ensureNamespace, patchStatus, setFinalizer } from './kube.js';
import { planAssignments, type FleetPlan } from './plan.js';
import { rolloutClusters, rolloutRecords, stepRollout } from './rollout-step.js';
import type { RolloutPlan } from '../rollout.js';
import { selectClusters } from '../placement.js';
import type { NewEntry, RolloutStep } from '../../audit/index.js';
import { rolloutHubActor } from '../../reconcile/audit.js';
import { recordObjectEvent, tapOutcome } from '../../reconcile/status.js';
import { mapBounded } from '../../apply/pool.js';

/**
 * Held on every FleetApplication while it may have Assignments: they live in other namespaces,
 * where an ownerReference cannot reach, so the hub deletes them itself before letting it go.
 */
export const fleetFinalizer = 'ballast.dev/assignments';

/** A FleetApplication's source could not be resolved to a commit. */
export class RevisionUnresolvedError extends Error {
  override readonly name = 'RevisionUnresolvedError';
  constructor(
    readonly key: AppKey,
    readonly repoURL: string,
    cause: unknown,
  ) {
    super(
      `FleetApplication ${key}: cannot resolve spec.template.source.targetRevision in ${repoURL}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

const assignmentsOf = (ctx: HubContext, key: AppKey): KubeObject[] =>
  ctx.assignments.list((a) => ownerOf(a) === key);

/** Deletes what a deleted FleetApplication left in the cluster namespaces, then lets it go. */
async function finalize(
  ctx: HubContext,
  key: AppKey,
  raw: KubeObject | undefined,
): Promise<Outcome> {
  const left = assignmentsOf(ctx, key);
  for (const a of left) await ctx.hub.delete(refParts(a));
  if (raw !== undefined) await setFinalizer(ctx.hub, raw, fleetFinalizer, 'absent');
  else if (left.length === 0) return { kind: 'ok' };
  ctx.resolved.delete(key);
  ctx.opts.logger.info({ key }, 'FleetApplication deleted; its Assignments are gone');
  return { kind: 'ok' };
}

const refParts = (a: KubeObject) => ({ ...refOf(a), apiVersion: a.apiVersion });

/** Whether a merge patch of `next` would change anything in `current`. */
function changes(current: object | undefined, next: object): boolean {
  const c = (current ?? {}) as Record<string, unknown>;
  return Object.entries(next).some(([k, v]) => !sameJson(c[k], v));
}

/**
 * Writes the status when it changed, and keeps what was written: its watch event may come
 * only after the next reconcile, which must build on this status (the rollout's steps).
 */
async function writeFleetStatus(
  ctx: HubContext,
  raw: KubeObject,
  current: FleetApplication['status'],
  next: NonNullable<FleetApplication['status']>,
): Promise<void> {
  if (!changes(current, next)) return;
  const stored = await patchStatus(ctx.hub, raw, next);
  if (stored !== undefined) ctx.fleetApps.record('MODIFIED', stored);
}

/**
 * How often the template's targetRevision is resolved again: its syncPolicy.interval (3m unless
 * set, as for an Application); a webhook push resolves it at once.
 */
function intervalOf(app: FleetApplication): number {
  return parseDuration(app.spec.template.syncPolicy.interval) ?? 180_000;
}

/**
 * The commit to pin: the last one resolved while it is fresh and the source unchanged, else a
 * new fetch. The hub fetches without credentials: the template's secretRef names a Secret on
 * each spoke, which the hub never reads.
 */
async function resolveRevision(
  ctx: HubContext,
  key: AppKey,
  app: FleetApplication,
  run: ReconcileContext,
): Promise<Resolved> {
  const src = app.spec.template.source;
  const now = ctx.opts.now();
  const last = ctx.resolved.get(key);
  if (
    last !== undefined &&
    last.repoURL === src.repoURL &&
    last.targetRevision === src.targetRevision &&
    now - last.atMs < intervalOf(app)
  )
    return last;
  const ns = app.metadata.namespace ?? '';
  const remote: GitRemote = {
    url: src.repoURL,
    auth: { kind: 'none' },
    requester: { kind: 'application', namespace: ns, name: app.metadata.name },
  };
  try {
    const pin = await ctx.source.pin(remote, src.targetRevision, { freshAfter: run.queuedAt });
    const resolved = {
      repoURL: src.repoURL,
      targetRevision: src.targetRevision,
      sha: pin.sha,
      atMs: now,
    };
    ctx.resolved.set(key, resolved);
    return resolved;
  } catch (e) {
    throw new RevisionUnresolvedError(key, src.repoURL, e);
  }
}

/** What the hub knows is wrong with each Cluster itself: Ready=False (e.g. HeartbeatMissed). */
function clusterProblems(clusters: readonly KubeObject[]): Map<string, Failure> {
  const out = new Map<string, Failure>();
  for (const c of clusters) {
    const conditions = (
      c as {
        status?: {
          conditions?: { type: string; status: string; reason: string; message: string }[];
        };
      }
    ).status?.conditions;
    const ready = conditions?.find((x) => x.type === 'Ready');
    if (ready?.status === 'False')
      out.set(c.metadata.name, { reason: ready.reason, message: ready.message });
  }
  return out;
}

/** Applies one Assignment, creating its cluster namespace first when it is missing. */
async function writeAssignment(ctx: HubContext, a: Assignment): Promise<KubeObject> {
  try {
    return await applyAsHub(ctx.hub, a);
  } catch (e) {
    if (!(e instanceof KubeApiError && e.status === 404 && e.details?.kind === 'namespaces'))
      throw e;
    await ensureNamespace(ctx.hub, a.metadata.namespace ?? '');
    return await applyAsHub(ctx.hub, a);
  }
}

/**
 * One FleetApplication: parse it, pin its commit, write one Assignment per selected Cluster,
 * delete those of Clusters no longer selected, and aggregate what the agents report.
 */
export async function reconcileFleetApplication(
  ctx: HubContext,
  key: AppKey,
  run: ReconcileContext,
): Promise<Outcome> {
  const id = parseAppKey(key);
  const raw = id === undefined ? undefined : ctx.fleetApps.get(id.namespace, id.name);
  try {
    // Gone without the finalizer (removed by hand, or the hub was not running): what it left
    // in the cluster namespaces is deleted all the same.
    if (raw === undefined || raw.metadata.deletionTimestamp !== undefined)
      return await finalize(ctx, key, raw);
    await setFinalizer(ctx.hub, raw, fleetFinalizer, 'present');
    return await reconcileLive(ctx, key, raw, run);
  } catch (e) {
    return apiFailureOutcome(key, e);
  }
}

/** Writes a Stalled status and returns the outcome that waits for the next change (or retries). */
async function stall(
  ctx: HubContext,
  raw: KubeObject,
  why: Stall,
  outcome: Outcome,
): Promise<Outcome> {
  const current = (raw as { status?: FleetApplication['status'] }).status;
  const generation = raw.metadata.generation as number | undefined;
  const next = stalledStatus(current, why, generation, ctx.opts.now());
  await writeFleetStatus(ctx, raw, current, next);
  return outcome;
}

/** Assignment writes in flight at once: enough to hide latency, few enough not to flood. */
const writeConcurrency = 16;

/** Applies and deletes what the plan says; returns the Assignments written, by cluster. */
async function carryOut(
  ctx: HubContext,
  key: AppKey,
  plan: Extract<FleetPlan, { kind: 'ok' }>,
  revision: string,
): Promise<Map<string, KubeObject>> {
  const written = new Map<string, KubeObject>();
  // One commit to hundreds of clusters is hundreds of writes: several in flight at once.
  const writes = await mapBounded(plan.write, writeConcurrency, async (a) => {
    const stored = await writeAssignment(ctx, a);
    // Kept as each write returns, before its watch event: the next reconcile reads the new pin
    // (and never pins it again anew), and the event is then known news (see assignmentWake).
    ctx.assignments.record('MODIFIED', stored);
    return stored;
  });
  for (const [i, r] of writes.entries()) {
    if (r.status === 'rejected') throw r.reason;
    const a = plan.write[i];
    if (a !== undefined) written.set(a.spec.cluster, r.value);
  }
  const removes = await mapBounded(plan.remove, writeConcurrency, (a) =>
    ctx.hub.delete(refParts(a)),
  );
  for (const r of removes) if (r.status === 'rejected') throw r.reason;
  if (plan.write.length + plan.remove.length === 0) return written;
  ctx.log.info(
    {
      key,
      revision,
      written: plan.write.map((a) => a.spec.cluster),
      deleted: plan.remove.map((a) => a.metadata.namespace),
    },
    'Assignments updated',
  );
  // Said once, when the Assignment is written, rather than on every reconcile.
  for (const c of plan.collisions.filter((x) => written.has(x.cluster)))
    ctx.log.warn({ key, ...c }, 'variable left unset: two keys give it');
  return written;
}

/** The commit to roll out: spec.rollback's (an undo), else the resolved targetRevision. */
async function targetOf(
  ctx: HubContext,
  key: AppKey,
  app: FleetApplication,
  run: ReconcileContext,
): Promise<{ revision: string; rollback: boolean; resolved: Resolved | undefined }> {
  const rb = app.spec.rollback;
  if (rb !== undefined) return { revision: rb.revision, rollback: true, resolved: undefined };
  const resolved = await resolveRevision(ctx, key, app, run);
  return { revision: resolved.sha, rollback: false, resolved };
}

async function reconcileLive(
  ctx: HubContext,
  key: AppKey,
  raw: KubeObject,
  run: ReconcileContext,
): Promise<Outcome> {
  const parsed = parseFleetApplication(raw, { unknownFields: 'drop' });
  // Its Assignments stay as they are: a typo in the spec must not pull the app off the fleet.
  if (parsed.kind === 'error')
    return stall(
      ctx,
      raw,
      { reason: 'InvalidSpec', message: parsed.error.problems.join('; ') },
      { kind: 'terminal', error: parsed.error },
    );
  const app = parsed.value;
  let target: Awaited<ReturnType<typeof targetOf>>;
  try {
    target = await targetOf(ctx, key, app, run);
  } catch (e) {
    if (!(e instanceof RevisionUnresolvedError)) throw e;
    return stall(
      ctx,
      raw,
      { reason: 'RevisionUnresolved', message: e.message },
      { kind: 'retry', error: e },
    );
  }
  run.signal.throwIfAborted();
  const clusters = ctx.clusters.list((c) => c.metadata.namespace === ctx.opts.fleetNamespace);
  const placed = selectClusters(app.spec.placement, clusters);
  if (placed.kind === 'invalid') return invalidPlacement(ctx, key, raw, placed.problems);
  const existing = assignmentsOf(ctx, key);
  const rollout = stepRollout(
    ctx,
    key,
    app,
    raw,
    target,
    rolloutClusters(placed.names, clusters, existing),
  );
  const plan = planAssignments({
    app,
    clusters,
    existing,
    revisionOf: (c) => rollout.pins.get(c),
    now: new Date(ctx.opts.now()).toISOString(),
  });
  if (plan.kind === 'invalid') return invalidPlacement(ctx, key, raw, plan.problems);
  const written = await carryOut(ctx, key, plan, target.revision);
  // Recorded before the status that shows it, so no step is shown that the ledger lacks.
  await record(ctx, key, raw, rolloutRecords(app, raw, app.status?.rollout, rollout));
  const ownName = assignmentName(app.metadata.namespace ?? '', app.metadata.name);
  const assignments = plan.selected.flatMap((name) => {
    const stored = written.get(name) ?? ctx.assignments.get(clusterNamespace(name), ownName);
    const a = stored === undefined ? undefined : readAssignment(stored);
    return a === undefined ? [] : [a];
  });
  const aggregate = aggregateFleetStatus({
    selected: plan.selected,
    missing: plan.missing,
    assignments,
    clusterProblems: clusterProblems(clusters),
  });
  const current = (raw as { status?: FleetApplication['status'] }).status;
  const status = fleetStatus({
    current,
    generation: raw.metadata.generation as number | undefined,
    revision: target.revision,
    aggregate,
    collisions: plan.collisions,
    rollout: rollout.status,
    nowMs: ctx.opts.now(),
  });
  await writeFleetStatus(ctx, raw, current, status);
  return { kind: 'ok', requeueAfterMs: nextRunMs(ctx, app, target.resolved, rollout) };
}

/** The next look: when the source is due again, or sooner when a rollout wait runs out. */
function nextRunMs(
  ctx: HubContext,
  app: FleetApplication,
  resolved: Resolved | undefined,
  rollout: RolloutPlan,
): number {
  const resolveIn =
    resolved === undefined ? intervalOf(app) : resolved.atMs + intervalOf(app) - ctx.opts.now();
  // A few milliseconds late, so the wait has surely run out when the hub looks.
  const waitIn = rollout.recheckAfterMs === undefined ? Infinity : rollout.recheckAfterMs + 50;
  return Math.max(50, Math.min(Math.max(1_000, resolveIn), waitIn));
}

async function invalidPlacement(
  ctx: HubContext,
  key: AppKey,
  raw: KubeObject,
  problems: string[],
): Promise<Outcome> {
  const error = new InvalidResourceError('FleetApplication', key, problems);
  const message = problems.join('; ');
  return stall(ctx, raw, { reason: 'InvalidSpec', message }, { kind: 'terminal', error });
}

/** The Event each rollout step makes on the FleetApplication. */
const eventOf: Record<RolloutStep['action'], { type: 'Normal' | 'Warning'; reason: string }> = {
  started: { type: 'Normal', reason: 'RolloutStarted' },
  halted: { type: 'Warning', reason: 'RolloutHalted' },
  complete: { type: 'Normal', reason: 'RolloutComplete' },
  pause: { type: 'Normal', reason: 'RolloutPaused' },
  resume: { type: 'Normal', reason: 'RolloutResumed' },
  promote: { type: 'Normal', reason: 'RolloutPromoted' },
  undo: { type: 'Normal', reason: 'RolloutUndo' },
};

/** Hands the rollout's steps to the ledger, the log and the FleetApplication's Events. */
async function record(
  ctx: HubContext,
  key: AppKey,
  raw: KubeObject,
  entries: readonly NewEntry[],
): Promise<void> {
  for (const e of entries) {
    if (e.kind !== 'rollout') continue;
    const { action, revision, actor, group, clusters } = e;
    ctx.log.info({ key, action, revision, actor, group, clusters }, `rollout ${action}`);
    await ctx.audit?.(e);
    const who = actor === undefined || actor === rolloutHubActor ? '' : ` by ${actor}`;
    const what = group === undefined ? '' : ` group ${group}`;
    const failed = clusters === undefined ? '' : `: ${clusters.join(', ')}`;
    const message = `rollout ${action}${what} of ${revision.slice(0, 12)}${who}${failed}`;
    tapOutcome(ctx.notify, { involved: raw, ...eventOf[action], message, revision });
    await recordObjectEvent(ctx.hub, raw, { ...eventOf[action], message, component: 'hub' });
  }
}
