import { byCodePoint } from '../api/object.js';
import type { SyncStatus } from '../api/application.js';
import type { HealthStatus } from '../api/health-status.js';
import type { Assignment } from './assignment.js';
import { countOf, type Counts, type SyncHealth } from './counts.js';
import {
  maxFailingListed,
  type FailingCluster,
  type FleetClusterEntry,
  type FleetSummary,
} from './fleet-application.js';

/** Why a cluster is failing, in a CamelCase reason and a sentence. */
export interface Failure {
  reason: string;
  message: string;
}

/** Where one Assignment stands, read from what its agent wrote. */
export interface AssignmentState extends SyncHealth {
  /** The commit the cluster runs, when it has synced one. */
  revision?: string;
  failure?: Failure;
}

/**
 * Reads an Assignment's status. A status written for an older spec (observedGeneration behind)
 * says nothing about the current one: sync is Unknown and its failure is not counted. Synced
 * means synced to the pinned commit; synced to another is OutOfSync. Failing: a refused commit,
 * Stalled, or objects Degraded or Missing.
 */
export function assignmentState(a: Assignment | undefined): AssignmentState {
  const status = a?.status;
  if (a === undefined || status === undefined) return { sync: 'Unknown', health: 'Unknown' };
  const health: HealthStatus = status.health?.status ?? 'Unknown';
  const revision = status.lastSyncedRevision;
  const at = revision === undefined ? {} : { revision };
  const generation = a.metadata.generation;
  const observed = status.observedGeneration;
  if (generation !== undefined && (observed === undefined || observed < generation))
    return { sync: 'Unknown', health, ...at };
  const reported: SyncStatus = status.sync?.status ?? 'Unknown';
  const sync: SyncStatus =
    reported === 'Synced' && status.sync?.revision !== a.spec.revision ? 'OutOfSync' : reported;
  const failure = failureOf(status, health);
  return { sync, health, ...at, ...(failure === undefined ? {} : { failure }) };
}

function failureOf(
  status: NonNullable<Assignment['status']>,
  health: HealthStatus,
): Failure | undefined {
  if (status.refusal !== undefined)
    return { reason: status.refusal.reason, message: status.refusal.message };
  const stalled = status.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled !== undefined) return { reason: stalled.reason, message: stalled.message };
  if (health === 'Degraded' || health === 'Missing')
    return { reason: health, message: status.health?.message ?? '' };
  return undefined;
}

/** What the FleetApplication's status is aggregated from. */
export interface AggregateInput {
  /** The selected Clusters' names, from `selectClusters`. */
  selected: readonly string[];
  /** Names in spec.placement.clusterNames that no Cluster has. */
  missing?: readonly string[];
  /** The FleetApplication's Assignments, from every cluster namespace. */
  assignments: readonly Assignment[];
  /**
   * What the hub knows is wrong with a cluster itself, by name (its Ready=False condition,
   * e.g. HeartbeatMissed): it outranks what a stale Assignment status says.
   */
  clusterProblems?: ReadonlyMap<string, Failure>;
}

/** The aggregated parts of a FleetApplication's status. */
export interface FleetAggregate {
  summary: FleetSummary;
  /** The first `maxFailingListed` failing clusters by name. */
  failing: FailingCluster[];
  /** Every selected cluster, by name, with the commit it runs. */
  clusters: FleetClusterEntry[];
}

/**
 * Aggregates the Assignments of one FleetApplication: counts by sync and health over the
 * selected clusters (a selected cluster without an Assignment yet counts as Unknown), the
 * failing ones with why, and the commit each runs. Assignments of clusters no longer selected
 * are being deleted and do not count.
 */
export function aggregateFleetStatus(input: AggregateInput): FleetAggregate {
  const byCluster = new Map(input.assignments.map((a) => [a.spec.cluster, a]));
  const selected = [...new Set(input.selected)].sort(byCodePoint);
  const states = selected.map((name) => {
    const state = assignmentState(byCluster.get(name));
    const problem = input.clusterProblems?.get(name);
    return { name, ...state, ...(problem === undefined ? {} : { failure: problem }) };
  });
  const failing: FailingCluster[] = states.flatMap((s) =>
    s.failure === undefined ? [] : [{ cluster: s.name, ...s.failure }],
  );
  for (const name of input.missing ?? [])
    failing.push({
      cluster: name,
      reason: 'ClusterNotFound',
      message: `spec.placement.clusterNames names ${name}, but there is no such Cluster`,
    });
  failing.sort((a, b) => byCodePoint(a.cluster, b.cluster));
  return {
    summary: { ...countOf(states), failing: failing.length },
    failing: failing.slice(0, maxFailingListed),
    clusters: states.map((s) => ({
      name: s.name,
      ...(s.revision === undefined ? {} : { revision: s.revision }),
      sync: s.sync,
      health: s.health,
    })),
  };
}

/** The counts a Cluster's status.apps shows: its Assignments by sync and health. */
export function clusterAppCounts(assignments: readonly Assignment[]): Counts {
  return countOf(assignments.map(assignmentState));
}
