import { matchesLabelSelector } from '../api/label-selector.js';
import { resolveIntOrPercent } from '../api/int-or-percent.js';
import { parseDuration } from '../api/schema-duration.js';
import type { AssignmentState } from './aggregate.js';
import {
  progressiveFromClusters,
  type RolloutFailedCluster,
  type RolloutGroupStatus,
  type RolloutPhase,
  type RolloutSpec,
  type RolloutStatus,
  type RolloutStrategy,
} from './rollout-spec.js';

/** The name of the wave of placed clusters that no group selects. */
export const restGroup = '(rest)';
/** The one wave of `strategy: all`. */
export const allGroup = '(all)';
/** How many failed clusters status.rollout.failed lists. */
export const maxFailedListed = 20;

/** A placed Cluster as the rollout reads it. */
export interface RolloutCluster {
  name: string;
  labels?: Record<string, string>;
  /** The commit its Assignment is pinned to now, and since when; absent: no Assignment yet. */
  pinned?: { revision: string; atMs: number };
  /** What its agent reports (see `assignmentState`). */
  state: AssignmentState;
}

export interface RolloutInput {
  spec: RolloutSpec;
  /** The commit to roll out: the resolved targetRevision, or spec.rollback's. */
  target: string;
  /** Whether `target` comes from spec.rollback (an undo). */
  rollback: boolean;
  /** The placed Clusters, sorted by name. */
  clusters: readonly RolloutCluster[];
  /** The status written last time, if any. */
  previous: RolloutStatus | undefined;
  /** When each cluster was first seen Synced and Healthy at `target`, as kept by the caller. */
  healthySince: ReadonlyMap<string, number>;
  /** A promotion asked for: skip the wait of this group, if it is the current one. */
  promote?: { revision: string; group: string; by: string };
  nowMs: number;
}

/** Something worth a log line, an Event and a ledger record. */
export type RolloutEvent =
  | { kind: 'started'; revision: string; superseded?: string }
  | { kind: 'group-complete'; group: string }
  | { kind: 'promoted'; group: string; by: string }
  | { kind: 'halted'; failed: RolloutFailedCluster[] }
  | { kind: 'complete' };

export interface RolloutPlan {
  /** The commit each placed cluster's Assignment is pinned to; a cluster absent gets none yet. */
  pins: Map<string, string>;
  status: RolloutStatus;
  events: RolloutEvent[];
  /** The new healthySince map, for the caller to keep. */
  healthySince: Map<string, number>;
  /** When a deadline or a minSuccessTime runs out, so the caller looks again; undefined: never. */
  recheckAfterMs: number | undefined;
}

type Standing =
  | { kind: 'pending' }
  | { kind: 'updating'; untilMs: number }
  | { kind: 'healthy'; doneAtMs: number }
  | { kind: 'done' }
  | { kind: 'failed'; reason: string; message: string };

/** The strategy in force: the spec's, or all for a small fleet and progressive for a large one. */
export function strategyOf(spec: RolloutSpec, placed: number): RolloutStrategy {
  return spec.strategy ?? (placed < progressiveFromClusters ? 'all' : 'progressive');
}

const msOf = (d: string): number => parseDuration(d) ?? 0;

function okAtTarget(c: RolloutCluster, target: string): boolean {
  return (
    c.pinned?.revision === target &&
    c.state.sync === 'Synced' &&
    c.state.health === 'Healthy' &&
    c.state.revision === target
  );
}

/** Where one cluster stands against `target`. */
function standingOf(c: RolloutCluster, input: RolloutInput, since: number | undefined): Standing {
  const { target, spec, nowMs } = input;
  if (c.pinned?.revision !== target) return { kind: 'pending' };
  if (since !== undefined) {
    const doneAtMs = since + msOf(spec.minSuccessTime);
    return doneAtMs <= nowMs ? { kind: 'done' } : { kind: 'healthy', doneAtMs };
  }
  if (c.state.failure !== undefined) return { kind: 'failed', ...c.state.failure };
  const untilMs = c.pinned.atMs + msOf(spec.progressDeadline);
  if (untilMs <= nowMs)
    return {
      kind: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message: `not Synced and Healthy at ${target.slice(0, 12)} within ${spec.progressDeadline} (sync ${c.state.sync}, health ${c.state.health})`,
    };
  return { kind: 'updating', untilMs };
}

/** The waves: each placed cluster in the first group that selects it, the rest last. */
export function wavesOf(
  spec: RolloutSpec,
  strategy: RolloutStrategy,
  clusters: readonly RolloutCluster[],
): { name: string; clusters: RolloutCluster[] }[] {
  if (strategy === 'all') return [{ name: allGroup, clusters: [...clusters] }];
  const groups = (spec.groups ?? []).map((g) => ({ ...g, clusters: [] as RolloutCluster[] }));
  const rest: RolloutCluster[] = [];
  for (const c of clusters) {
    const g = groups.find((x) => matchesLabelSelector(x.clusterSelector, c.labels));
    (g?.clusters ?? rest).push(c);
  }
  const waves = groups.map((g) => ({ name: g.name, clusters: g.clusters }));
  return rest.length > 0 ? [...waves, { name: restGroup, clusters: rest }] : waves;
}

/** Whether `input` continues the previous rollout or starts one, and what it started from. */
function identity(input: RolloutInput): {
  continuing: RolloutStatus | undefined;
  fromRevision: string | undefined;
} {
  const p = input.previous;
  if (p !== undefined && p.revision === input.target && p.rollback === input.rollback)
    return { continuing: p, fromRevision: p.fromRevision };
  if (p === undefined) return { continuing: undefined, fromRevision: undefined };
  // A superseded rollout never became what the fleet runs: what it started from still is.
  return {
    continuing: undefined,
    fromRevision:
      p.phase === 'Complete' && p.revision !== input.target ? p.revision : p.fromRevision,
  };
}

/**
 * Decides, for one FleetApplication, which commit every placed cluster is pinned to, and where
 * the rollout of `target` stands. Progressive: group by group; within the current group at most
 * maxConcurrency clusters updating; a group is complete when each of its clusters is done
 * (Healthy at the target for minSuccessTime) or failed, or when promoted; more than maxFailures
 * failures halt it until a newer target. Clusters not yet reached keep their pin; a cluster
 * with none gets the commit the fleet ran before, when there is one. Pure: the hub's every
 * rollout decision is tested without an apiserver or a clock.
 */
export function planRollout(input: RolloutInput): RolloutPlan {
  const { spec, target, nowMs } = input;
  const strategy = strategyOf(spec, input.clusters.length);
  const { continuing, fromRevision } = identity(input);
  const healthySince = new Map<string, number>();
  const standing = new Map<string, Standing>();
  for (const c of input.clusters) {
    const since = okAtTarget(c, target) ? (input.healthySince.get(c.name) ?? nowMs) : undefined;
    if (since !== undefined) healthySince.set(c.name, since);
    standing.set(c.name, standingOf(c, input, since));
  }
  const failed = input.clusters.flatMap((c) => {
    const s = standing.get(c.name);
    return s?.kind === 'failed' ? [{ cluster: c.name, reason: s.reason, message: s.message }] : [];
  });
  const total = input.clusters.length;
  const maxFailures = resolveIntOrPercent(spec.maxFailures, total, 'down');
  const halted =
    strategy === 'progressive' && (continuing?.phase === 'Halted' || failed.length > maxFailures);
  const events: RolloutEvent[] = [];
  if (continuing === undefined)
    events.push({
      kind: 'started',
      revision: target,
      ...(input.previous !== undefined && input.previous.phase !== 'Complete'
        ? { superseded: input.previous.revision }
        : {}),
    });
  const started = new Set<string>();
  const groups = advance(input, strategy, standing, continuing, halted, started, events);
  const pins = new Map<string, string>();
  for (const c of input.clusters) {
    const pin =
      c.pinned?.revision === target || started.has(c.name)
        ? target
        : (c.pinned?.revision ?? fromRevision);
    if (pin !== undefined) pins.set(c.name, pin);
  }
  // A promoted group lets the next one start, but the rollout is complete only once every
  // cluster is Healthy at the target or failed: promoting the last group must not announce a
  // commit that is still on its way. (Promotion skips minSuccessTime, so Healthy is enough.)
  const settledAll = [...standing.values()].every(
    (s) => s.kind !== 'pending' && s.kind !== 'updating',
  );
  const complete = groups.every((g) => g.complete) && settledAll;
  const phase: RolloutPhase = halted
    ? 'Halted'
    : complete
      ? 'Complete'
      : spec.paused
        ? 'Paused'
        : 'Progressing';
  if (halted && continuing?.phase !== 'Halted') events.push({ kind: 'halted', failed });
  if (phase === 'Complete' && continuing?.phase !== 'Complete') events.push({ kind: 'complete' });
  const status: RolloutStatus = {
    revision: target,
    ...(fromRevision === undefined ? {} : { fromRevision }),
    phase,
    strategy,
    startedAt: continuing?.startedAt ?? new Date(nowMs).toISOString(),
    rollback: input.rollback,
    paused: spec.paused,
    groups,
    // Always there, empty once a fix supersedes a halt: the hub writes status with a merge
    // patch, which would keep a list that is merely left out.
    failed: failed.slice(0, maxFailedListed),
    failedCount: failed.length,
    message: messageOf(phase, groups, failed, maxFailures, target),
  };
  return {
    pins,
    status,
    events,
    healthySince,
    recheckAfterMs: recheckOf(standing, nowMs),
  };
}

/**
 * Walks the waves in order: complete ones stay complete (and any cluster that joined them
 * since is started), the first incomplete one is the current one, where free slots start
 * pending clusters unless the rollout is halted or paused; later ones wait.
 */
function advance(
  input: RolloutInput,
  strategy: RolloutStrategy,
  standing: ReadonlyMap<string, Standing>,
  continuing: RolloutStatus | undefined,
  halted: boolean,
  started: Set<string>,
  events: RolloutEvent[],
): RolloutGroupStatus[] {
  const { spec, target } = input;
  const total = input.clusters.length;
  const maxConcurrency =
    strategy === 'all'
      ? Number.POSITIVE_INFINITY
      : Math.max(1, resolveIntOrPercent(spec.maxConcurrency, total, 'up'));
  const out: RolloutGroupStatus[] = [];
  let blocked = false;
  for (const wave of wavesOf(spec, strategy, input.clusters)) {
    const kinds = wave.clusters.map((c) => standing.get(c.name)?.kind ?? 'pending');
    const n = (k: Standing['kind']): number => kinds.filter((x) => x === k).length;
    const before = continuing?.groups?.find((g) => g.name === wave.name);
    const promotion =
      input.promote?.revision === target && input.promote.group === wave.name && !blocked && !halted
        ? input.promote
        : undefined;
    const promotedBy = before?.promotedBy ?? promotion?.by;
    if (promotion !== undefined && before?.promotedBy === undefined && before?.complete !== true)
      events.push({ kind: 'promoted', group: wave.name, by: promotion.by });
    const settled = kinds.every((k) => k === 'done' || k === 'failed');
    const complete =
      !blocked && (before?.complete === true || promotedBy !== undefined || (settled && !halted));
    if (!blocked && (complete || !(halted || spec.paused))) {
      // A complete wave takes every cluster at once; the current one as many as slots allow.
      let slots = complete
        ? Number.POSITIVE_INFINITY
        : maxConcurrency - n('updating') - n('healthy');
      for (const c of wave.clusters)
        if (slots > 0 && standing.get(c.name)?.kind === 'pending') {
          started.add(c.name);
          slots--;
        }
    }
    if (complete && before?.complete !== true && strategy === 'progressive')
      events.push({ kind: 'group-complete', group: wave.name });
    out.push({
      name: wave.name,
      clusters: wave.clusters.length,
      done: n('done'),
      updating:
        n('updating') + n('healthy') + wave.clusters.filter((c) => started.has(c.name)).length,
      failed: n('failed'),
      complete,
      ...(promotedBy === undefined ? {} : { promotedBy }),
    });
    if (!complete) blocked = true;
  }
  return out;
}

/** The earliest time a standing changes by the clock alone. */
function recheckOf(standing: ReadonlyMap<string, Standing>, nowMs: number): number | undefined {
  let at = Number.POSITIVE_INFINITY;
  for (const s of standing.values()) {
    if (s.kind === 'updating') at = Math.min(at, s.untilMs);
    if (s.kind === 'healthy') at = Math.min(at, s.doneAtMs);
  }
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function messageOf(
  phase: RolloutPhase,
  groups: readonly RolloutGroupStatus[],
  failed: readonly RolloutFailedCluster[],
  maxFailures: number,
  target: string,
): string {
  const sha = target.slice(0, 12);
  const names = failed
    .slice(0, 5)
    .map((f) => `${f.cluster} (${f.reason})`)
    .join(', ');
  if (phase === 'Halted')
    return `rollout of ${sha} halted: ${failed.length} cluster(s) failed, more than maxFailures ${maxFailures}: ${names}; push a fix or run \`ballast fleet rollout undo\``;
  if (phase === 'Complete')
    return `${sha} rolled out to every cluster${failed.length > 0 ? `; ${failed.length} failed: ${names}` : ''}`;
  const current = groups.find((g) => !g.complete);
  const updating = groups.reduce((n, g) => n + g.updating, 0);
  const where =
    current === undefined
      ? `; every group started, ${updating} cluster(s) still updating`
      : `; group ${current.name}: ${current.done}/${current.clusters} done, ${current.updating} updating, ${current.failed} failed`;
  return `${phase === 'Paused' ? 'paused' : 'rolling out'} ${sha}${where}`;
}
