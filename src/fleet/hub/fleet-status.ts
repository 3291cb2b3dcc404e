import type { FleetAggregate } from '../aggregate.js';
import type { FleetApplicationStatus } from '../fleet-application.js';
import { setConditions, type ConditionValue, type FleetCondition } from './conditions.js';
import type { ClusterCollision } from './plan.js';
import type { RolloutStatus } from '../rollout-spec.js';

type FleetConditionType = 'Ready' | 'Reconciling' | 'Stalled';

/** Why a FleetApplication is stuck until someone changes something: its spec, or its source. */
export interface Stall {
  reason: 'InvalidSpec' | 'RevisionUnresolved';
  message: string;
}

const conditionsOf = (
  s: FleetApplicationStatus | undefined,
): FleetCondition<FleetConditionType>[] => s?.conditions ?? [];

/**
 * The status of a FleetApplication that cannot go on: Stalled, with the reason in Ready too.
 * What it had aggregated before stays, so the fleet view does not blank while someone fixes it.
 */
export function stalledStatus(
  current: FleetApplicationStatus | undefined,
  stall: Stall,
  generation: number | undefined,
  nowMs: number,
): FleetApplicationStatus {
  const g = generation === undefined ? {} : { observedGeneration: generation };
  const conditions = setConditions(
    conditionsOf(current),
    [
      { type: 'Stalled', status: 'True', ...stall, ...g },
      { type: 'Ready', status: 'False', ...stall, ...g },
      {
        type: 'Reconciling',
        status: 'False',
        reason: stall.reason,
        message: 'waiting for a change',
        ...g,
      },
    ],
    nowMs,
  );
  return { ...(current ?? {}), ...g, conditions };
}

/** A collision as a sentence naming the cluster, the variable and the keys. */
export function formatCollision(c: ClusterCollision): string {
  return `Cluster ${c.cluster}: variable ${c.variable} is left unset, since ${c.sources.join(' and ')} both give that name`;
}

export interface FleetStatusInput {
  current: FleetApplicationStatus | undefined;
  generation: number | undefined;
  revision: string;
  aggregate: FleetAggregate;
  collisions: readonly ClusterCollision[];
  /** Where the rollout of `revision` stands. */
  rollout: RolloutStatus;
  nowMs: number;
}

const rolloutReasons = {
  Halted: 'RolloutHalted',
  Paused: 'RolloutPaused',
  Progressing: 'RolloutProgressing',
} as const;

/** Ready and Reconciling while a rollout is not complete: its phase says why. */
function rolloutConditions(
  rollout: RolloutStatus,
): ConditionValue<FleetConditionType>[] | undefined {
  if (rollout.phase === 'Complete') return undefined;
  const reason = rolloutReasons[rollout.phase];
  return [
    { type: 'Ready', status: 'False', reason, message: rollout.message },
    {
      type: 'Reconciling',
      status: rollout.phase === 'Progressing' ? 'True' : 'False',
      reason,
      message: rollout.message,
    },
  ];
}

/**
 * The status from the aggregate: Ready once every selected cluster is Synced and Healthy at the
 * pinned commit (also when the placement selects none: nothing is wrong), Reconciling while some
 * are on their way, and the failing ones named in Ready's message. Collisions are reported in
 * Ready's message: a cluster referring to such a variable fails, naming it, on the spoke.
 * Until the rollout of the revision is complete, its phase is Ready's reason instead
 * (RolloutProgressing, RolloutPaused, RolloutHalted) and its message names the failed clusters.
 */
export function fleetStatus(input: FleetStatusInput): FleetApplicationStatus {
  const { aggregate: agg, generation } = input;
  const g = generation === undefined ? {} : { observedGeneration: generation };
  const s = agg.summary;
  const done = s.sync.synced === s.total && s.health.healthy === s.total && s.failing === 0;
  const first = agg.failing[0];
  const clashes = input.collisions.slice(0, 3).map(formatCollision);
  const suffix = clashes.length === 0 ? '' : `; ${clashes.join('; ')}`;
  const ready: ConditionValue<FleetConditionType> =
    s.total === 0 && s.failing === 0
      ? {
          type: 'Ready',
          status: 'True',
          reason: 'NoClustersSelected',
          message: `the placement selects no Cluster${suffix}`,
        }
      : done
        ? {
            type: 'Ready',
            status: 'True',
            reason: 'Synced',
            message: `${s.total} cluster(s) synced and healthy at ${input.revision}${suffix}`,
          }
        : first !== undefined
          ? {
              type: 'Ready',
              status: 'False',
              reason: 'ClustersFailing',
              message: `${s.failing} of ${s.total} cluster(s) failing; ${first.cluster}: ${first.reason}: ${first.message}${suffix}`,
            }
          : {
              type: 'Ready',
              status: 'False',
              reason: 'Progressing',
              message: `${s.sync.synced} of ${s.total} cluster(s) synced at ${input.revision}${suffix}`,
            };
  const reconciling: ConditionValue<FleetConditionType> =
    done || s.total === 0
      ? {
          type: 'Reconciling',
          status: 'False',
          reason: 'Done',
          message: 'every selected cluster is at the pinned commit',
        }
      : {
          type: 'Reconciling',
          status: 'True',
          reason: 'Progressing',
          message: `${s.total - s.sync.synced} cluster(s) not synced yet`,
        };
  const [readyNow, reconcilingNow] = rolloutConditions(input.rollout) ?? [ready, reconciling];
  const conditions = setConditions(
    conditionsOf(input.current),
    [
      { ...(readyNow ?? ready), ...g },
      { ...(reconcilingNow ?? reconciling), ...g },
      {
        type: 'Stalled',
        status: 'False',
        reason: 'Resolved',
        message: `targetRevision resolved to ${input.revision}`,
        ...g,
      },
    ],
    input.nowMs,
  );
  return {
    ...g,
    conditions,
    revision: input.revision,
    summary: agg.summary,
    failing: agg.failing,
    clusters: agg.clusters,
    rollout: input.rollout,
  };
}
