import type { AppKey } from '../../api/app-key.js';
import type { KubeObject } from '../../api/object.js';
import type { NewEntry } from '../../audit/index.js';
import { rolloutHubActor } from '../../reconcile/audit.js';
import { assignmentState } from '../aggregate.js';
import type { FleetApplication } from '../fleet-application.js';
import { pinnedAtAnnotation, rolloutAnnotations } from '../names.js';
import {
  planRollout,
  type RolloutCluster,
  type RolloutEvent,
  type RolloutPlan,
} from '../rollout.js';
import type { RolloutStatus } from '../rollout-spec.js';
import type { HubContext } from './context.js';
import { readAssignment } from './read-assignment.js';
import type { PlanCluster } from './plan.js';

const clusterOf = (a: KubeObject): string | undefined => {
  const c = (a as { spec?: { cluster?: unknown } }).spec?.cluster;
  return typeof c === 'string' ? c : undefined;
};

/** When the stored Assignment was pinned: its annotation, else its creation (hubs before it). */
function pinnedAtMs(a: KubeObject): number {
  const at = a.metadata.annotations?.[pinnedAtAnnotation] ?? a.metadata.creationTimestamp;
  const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** The placed clusters as the rollout reads them: labels, pin and what the agent reported. */
export function rolloutClusters(
  placed: readonly string[],
  clusters: readonly PlanCluster[],
  existing: readonly KubeObject[],
): RolloutCluster[] {
  const byName = new Map(clusters.map((c) => [c.metadata.name, c]));
  const stored = new Map(
    existing.flatMap((a) => ((n) => (n === undefined ? [] : [[n, a] as const]))(clusterOf(a))),
  );
  return placed.flatMap((name) => {
    const c = byName.get(name);
    if (c === undefined) return [];
    const raw = stored.get(name);
    const a = raw === undefined ? undefined : readAssignment(raw);
    return [
      {
        name,
        ...(c.metadata.labels === undefined ? {} : { labels: c.metadata.labels }),
        ...(a === undefined || raw === undefined
          ? {}
          : { pinned: { revision: a.spec.revision, atMs: pinnedAtMs(raw) } }),
        state: assignmentState(a),
      },
    ];
  });
}

/**
 * A promotion asked for by `ballast fleet rollout promote`: `<revision>/<startedAt>/<group>`
 * and who. The rollout's start time ties it to one rollout: the same commit rolled out again
 * later (after an undo, say) waits in every group again.
 */
export function promotionOf(
  raw: KubeObject,
): { revision: string; startedAt: string; group: string; by: string } | undefined {
  const a = raw.metadata.annotations ?? {};
  const by = a[rolloutAnnotations.requestedBy];
  const parts = /^([^/]+)\/([^/]+)\/(.+)$/.exec(a[rolloutAnnotations.promote] ?? '');
  if (parts === null || by === undefined) return undefined;
  const [, revision = '', startedAt = '', group = ''] = parts;
  return { revision, startedAt, group, by };
}

/** The promotion asked for of the rollout `current`, if any: one of another rollout is stale. */
export function promotionFor(
  raw: KubeObject,
  current: RolloutStatus | undefined,
): { revision: string; group: string; by: string } | undefined {
  const asked = promotionOf(raw);
  return asked !== undefined && asked.startedAt === current?.startedAt
    ? { revision: asked.revision, group: asked.group, by: asked.by }
    : undefined;
}

/**
 * Runs the rollout planner for one FleetApplication with the hub's memory of when each
 * cluster turned Healthy, and keeps the new memory. The memory is only an optimisation of the
 * wait: after a restart minSuccessTime counts again from the first look, never shorter.
 */
export function stepRollout(
  ctx: HubContext,
  key: AppKey,
  app: FleetApplication,
  raw: KubeObject,
  target: { revision: string; rollback: boolean },
  clusters: RolloutCluster[],
): RolloutPlan {
  const promote = promotionFor(raw, app.status?.rollout);
  const plan = planRollout({
    spec: app.spec.rollout,
    target: target.revision,
    rollback: target.rollback,
    clusters,
    previous: app.status?.rollout,
    healthySince: ctx.healthySince.get(key) ?? new Map(),
    ...(promote === undefined ? {} : { promote }),
    nowMs: ctx.opts.now(),
  });
  ctx.healthySince.set(key, plan.healthySince);
  return plan;
}

/**
 * The ledger records of one step: what a person asked for (pause, resume, undo, promote), with
 * the name the apiserver authenticated, and what the hub decided (started, halted, complete).
 */
export function rolloutRecords(
  app: FleetApplication,
  raw: KubeObject,
  previous: RolloutStatus | undefined,
  plan: RolloutPlan,
): NewEntry[] {
  const ref = { namespace: app.metadata.namespace ?? '', name: app.metadata.name };
  const revision = plan.status.revision;
  const requester = raw.metadata.annotations?.[rolloutAnnotations.requestedBy];
  const asked = requester === undefined ? {} : { actor: requester };
  const out: NewEntry[] = [];
  const paused = app.spec.rollout.paused;
  if (previous !== undefined && paused !== previous.paused)
    out.push({
      kind: 'rollout',
      app: ref,
      action: paused ? 'pause' : 'resume',
      revision,
      ...asked,
    });
  const rb = app.spec.rollback;
  if (rb !== undefined && previous?.rollback !== true)
    out.push({
      kind: 'rollout',
      app: ref,
      action: 'undo',
      revision: rb.revision,
      actor: rb.requestedBy,
      ...(rb.reason === '' ? {} : { reason: rb.reason }),
    });
  else if (rb === undefined && previous?.rollback === true && paused === previous.paused)
    out.push({ kind: 'rollout', app: ref, action: 'resume', revision, ...asked });
  for (const e of plan.events) out.push(...recordOf(e, ref, revision));
  return out;
}

function recordOf(
  e: RolloutEvent,
  app: { namespace: string; name: string },
  revision: string,
): NewEntry[] {
  const hub = { kind: 'rollout' as const, app, revision, actor: rolloutHubActor };
  switch (e.kind) {
    case 'started':
      return [
        {
          ...hub,
          action: 'started',
          ...(e.superseded === undefined ? {} : { reason: `supersedes ${e.superseded}` }),
        },
      ];
    case 'promoted':
      return [{ kind: 'rollout', app, revision, action: 'promote', group: e.group, actor: e.by }];
    case 'halted':
      return [{ ...hub, action: 'halted', clusters: e.failed.map((f) => f.cluster) }];
    case 'complete':
      return [{ ...hub, action: 'complete' }];
    case 'group-complete':
      return [];
  }
}
