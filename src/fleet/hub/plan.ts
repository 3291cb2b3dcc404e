import type { KubeObject } from '../../api/object.js';
import type { FleetApplication } from '../fleet-application.js';
import type { Assignment } from '../assignment.js';
import { buildAssignment } from '../assignment-build.js';
import { selectClusters, type PlacedCluster } from '../placement.js';
import { clusterVariables, type VariableCollision, type VariableSource } from '../variables.js';
import { pinnedAtAnnotation } from '../names.js';
import { sameJson } from './conditions.js';

/** A Cluster as the plan reads it: name, labels and annotations. */
export type PlanCluster = PlacedCluster & VariableSource;

/** A variable left unset on one cluster because two of its keys claim it. */
export interface ClusterCollision extends VariableCollision {
  cluster: string;
}

/** What one FleetApplication's Assignments must become. */
export type FleetPlan =
  | {
      kind: 'ok';
      /** Selected Clusters, sorted; empty is not an error. */
      selected: string[];
      /** Names in spec.placement.clusterNames that no Cluster has. */
      missing: string[];
      /** Assignments to server-side apply: new ones, and those whose content moved. */
      write: Assignment[];
      /** Assignments of clusters no longer selected (or gone). */
      remove: KubeObject[];
      collisions: ClusterCollision[];
    }
  | { kind: 'invalid'; problems: string[] };

export interface PlanInput {
  /** Parsed, with its metadata.namespace and uid as the apiserver stored them. */
  app: FleetApplication;
  clusters: readonly PlanCluster[];
  /** The Assignments written for this FleetApplication so far, as stored, in any namespace. */
  existing: readonly KubeObject[];
  /** The commit each selected cluster is pinned to, from the rollout; undefined: none yet. */
  revisionOf: (cluster: string) => string | undefined;
  /** Now, RFC 3339: the pinned-at time of an Assignment whose commit changes. */
  now: string;
}

const clusterOf = (a: KubeObject): string | undefined => {
  const spec = (a as { spec?: { cluster?: unknown } }).spec;
  return typeof spec?.cluster === 'string' ? spec.cluster : undefined;
};

/** Whether `stored` already holds every value the hub would write, so applying is a no-op. */
export function holdsAssignment(stored: KubeObject | undefined, desired: Assignment): boolean {
  if (stored === undefined) return false;
  const has = (want: Record<string, string> | undefined, got: unknown): boolean => {
    const g = (got ?? {}) as Record<string, unknown>;
    return Object.entries(want ?? {}).every(([k, v]) => g[k] === v);
  };
  return (
    sameJson((stored as { spec?: unknown }).spec, desired.spec) &&
    has(desired.metadata.labels, stored.metadata.labels) &&
    has(desired.metadata.annotations, stored.metadata.annotations)
  );
}

/** The rollback an Assignment carries when its revision is the FleetApplication's undo. */
function undoOf(
  app: FleetApplication,
  revision: string,
): { rollback?: { requestedBy: string; reason: string } } {
  const rb = app.spec.rollback;
  return rb?.revision === revision
    ? { rollback: { requestedBy: rb.requestedBy, reason: rb.reason } }
    : {};
}

/**
 * The Assignments one FleetApplication should have: one per selected Cluster the rollout gave a
 * commit, pinned to it with that Cluster's variables and the time it was pinned, written only
 * where the stored one differs; and the
 * stored ones of clusters it no longer selects, to delete. Pure, so the hub's every decision
 * about what to write and delete is tested without an apiserver.
 */
export function planAssignments(input: PlanInput): FleetPlan {
  const { app } = input;
  const placed = selectClusters(app.spec.placement, input.clusters);
  if (placed.kind === 'invalid') return placed;
  const byName = new Map(input.clusters.map((c) => [c.metadata.name, c]));
  const stored = new Map(
    input.existing.flatMap((a) => {
      const c = clusterOf(a);
      return c === undefined ? [] : [[c, a] as const];
    }),
  );
  const write: Assignment[] = [];
  const collisions: ClusterCollision[] = [];
  for (const name of placed.names) {
    const cluster = byName.get(name);
    const revision = input.revisionOf(name);
    if (cluster === undefined || revision === undefined) continue;
    const vars = clusterVariables(cluster, app.spec.values ?? []);
    collisions.push(...vars.collisions.map((c) => ({ ...c, cluster: name })));
    const desired = buildAssignment({
      fleetApplication: app,
      cluster,
      revision,
      variables: vars.variables,
      ...undoOf(app, revision),
    });
    const before = stored.get(name);
    const kept = (before as { spec?: { revision?: unknown } } | undefined)?.spec?.revision;
    const since = before?.metadata.annotations?.[pinnedAtAnnotation];
    desired.metadata.annotations = {
      ...desired.metadata.annotations,
      [pinnedAtAnnotation]: kept === revision && since !== undefined ? since : input.now,
    };
    if (!holdsAssignment(before, desired)) write.push(desired);
  }
  const selected = new Set(placed.names);
  const remove = input.existing.filter((a) => {
    const c = clusterOf(a);
    return c === undefined || !selected.has(c);
  });
  return { kind: 'ok', selected: placed.names, missing: placed.missing, write, remove, collisions };
}
