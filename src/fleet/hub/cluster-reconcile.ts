import type { KubeObject } from '../../api/object.js';
import { parseDuration } from '../../api/schema-duration.js';
import { apiFailureOutcome } from '../../reconcile/errors.js';
import type { Outcome } from '../../reconcile/runner.js';
import { clusterAppCounts } from '../aggregate.js';
import type { Assignment } from '../assignment.js';
import { readAssignment } from './read-assignment.js';
import type { ClusterSpec, ClusterStatus } from '../cluster.js';
import { clusterNamespace } from '../names.js';
import { sameJson, setConditions, type FleetCondition } from './conditions.js';
import type { HubContext } from './context.js';
import { judgeReadiness } from './heartbeat.js';
import { patchStatus } from './kube.js';

/** The CRD's default of spec.heartbeatTimeout, which the apiserver writes into every Cluster. */
const specDefaultTimeout = '60s';

/**
 * A Cluster's heartbeat timeout: its own spec.heartbeatTimeout when set to something other
 * than the CRD default, else the hub's `--heartbeat-timeout`. The apiserver stores the default
 * in every Cluster, so the default cannot be told apart from 60s written by hand.
 */
export function heartbeatTimeoutOf(
  spec: Partial<ClusterSpec> | undefined,
  hubDefaultMs: number,
): number {
  const text = spec?.heartbeatTimeout;
  if (text === undefined || text === specDefaultTimeout) return hubDefaultMs;
  return parseDuration(text) ?? hubDefaultMs;
}

/**
 * One Cluster: its Ready condition from its agent's Lease, status.lastHeartbeatTime (moved by
 * beats alone only every `heartbeatReportMs`, so a beat costs no write) and its Assignments by
 * sync and health.
 */
export async function reconcileCluster(ctx: HubContext, name: string): Promise<Outcome> {
  const raw = ctx.clusters.get(ctx.opts.fleetNamespace, name);
  if (raw === undefined) return { kind: 'ok' };
  const { spec, status, metadata } = raw as KubeObject & {
    spec?: Partial<ClusterSpec>;
    status?: ClusterStatus;
  };
  const timeoutMs = heartbeatTimeoutOf(spec, ctx.opts.heartbeatTimeoutMs);
  const now = ctx.opts.now();
  const judged = judgeReadiness({
    cluster: name,
    beat: ctx.beats.get(name),
    nowMs: now,
    timeoutMs,
    recorded: status?.lastHeartbeatTime,
  });
  const generation = metadata.generation as number | undefined;
  const g = generation === undefined ? {} : { observedGeneration: generation };
  const assignments = ctx.assignments
    .list((a) => a.metadata.namespace === clusterNamespace(name))
    .flatMap((a): Assignment[] => {
      const p = readAssignment(a);
      return p === undefined ? [] : [p];
    });
  const current = (status?.conditions ?? []) as FleetCondition<'Ready'>[];
  const next = {
    ...g,
    conditions: setConditions(current, [{ ...judged.ready, ...g }], now),
    ...(judged.lastHeartbeatTime === undefined
      ? {}
      : { lastHeartbeatTime: judged.lastHeartbeatTime }),
    apps: clusterAppCounts(assignments),
  };
  const was = (status ?? {}) as Record<string, unknown>;
  const changed = Object.entries(next).some(([k, v]) => !sameJson(was[k], v));
  // A write made anyway (Ready flipped, counts moved) carries the latest beat for free.
  if (changed && judged.seenAt !== undefined) next.lastHeartbeatTime = judged.seenAt;
  // Ready is a Cluster's one condition type; its flips are what an operator wants in the log.
  if (current[0]?.status !== judged.ready.status)
    ctx.log.info(
      { cluster: name, ready: judged.ready.status, reason: judged.ready.reason },
      judged.ready.message,
    );
  try {
    if (changed) await patchStatus(ctx.hub, raw, next);
  } catch (e) {
    return apiFailureOutcome(`Cluster ${name}`, e);
  }
  return judged.recheckInMs === undefined
    ? { kind: 'ok' }
    : { kind: 'ok', requeueAfterMs: judged.recheckInMs };
}
