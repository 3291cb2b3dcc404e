import type { SyncStatus } from '../api/application.js';
import { HEALTH_ORDER, type HealthStatus } from '../api/health-status.js';
import { byCodePoint } from '../api/object.js';
import { countOf } from '../fleet/counts.js';
import {
  assignmentState,
  clusterNamespace,
  type Assignment,
  type Counts,
  type Failure,
  type Cluster as FleetCluster,
  type FleetApplication,
  type RolloutStatus,
} from '../fleet/index.js';
import { printable, readyOf, safeTable, shortRevision } from './fleet-format.js';

/**
 * `ballast fleet status <fleetapp>`: one row per cluster from what the agents wrote on the
 * Assignments, judged as the hub judges them (aggregate.ts's assignmentState), so the rows agree
 * with the FleetApplication's own counts once the hub has caught up. Pure.
 */

/** One cluster of the FleetApplication. */
export interface FleetStatusRow {
  cluster: string;
  sync: SyncStatus;
  health: HealthStatus;
  /** The commit the cluster runs, when it has synced one. */
  revision?: string;
  /** Why it is not (yet) Synced and Healthy at the pinned commit, when something says why. */
  reason?: string;
  message?: string;
}

/** What `ballast fleet status` prints, and its `-o json`. */
export interface FleetStatusReport {
  fleetApplication: { namespace: string; name: string };
  /** The commit the hub pinned, once it has resolved one. */
  revision?: string;
  /** The FleetApplication's Stalled condition, when it is True: an invalid spec, say. */
  stalled?: Failure;
  clusters: FleetStatusRow[];
  /** The rows counted by sync and health. */
  summary: Counts;
  /**
   * Where the rows come from: the Assignments themselves, or, for someone who may not read
   * them, the hub's aggregate in the FleetApplication's status.
   */
  source: 'assignments' | 'aggregate';
  /**
   * Set while the hub has not acted on the FleetApplication's current spec: the rows may be
   * of an older placement or commit. `observed` is undefined when it has not acted at all.
   */
  hubBehind?: { generation: number; observed?: number };
  /** Where the rollout of the newest commit stands (status.rollout), once the hub wrote one. */
  rollout?: RolloutStatus;
}

/** What the report is built from, as read from the hub. */
export interface FleetStatusInput {
  fleetApplication: FleetApplication;
  /** The FleetApplication's Assignments; undefined when the caller may not list them. */
  assignments: readonly Assignment[] | undefined;
  /** The Clusters of the fleet namespace; undefined when the caller may not list them. */
  clusters: readonly FleetCluster[] | undefined;
  /** Where the Clusters live, for a message naming one that is missing. */
  fleetNamespace: string;
}

/**
 * The Assignments among `items` that belong to `app`: the label selector that listed them holds
 * only a shortened name for a long one, so the spec is checked too, and an Assignment counts only
 * in its own cluster's namespace, the one that cluster's agent reads.
 */
export function assignmentsOf(
  app: { namespace: string; name: string },
  items: readonly Assignment[],
): Assignment[] {
  return items.filter(
    (a) =>
      a.spec.fleetApplication.namespace === app.namespace &&
      a.spec.fleetApplication.name === app.name &&
      a.metadata.namespace === clusterNamespace(a.spec.cluster),
  );
}

/** What the hub knows is wrong with the cluster itself; it outranks a stale Assignment. */
function clusterProblem(input: FleetStatusInput, name: string): Failure | undefined {
  if (input.clusters === undefined) return undefined;
  const cluster = input.clusters.find((c) => c.metadata.name === name);
  if (cluster === undefined)
    return { reason: 'ClusterNotFound', message: `no Cluster ${input.fleetNamespace}/${name}` };
  const ready = readyOf(cluster);
  if (ready === undefined || ready.status === 'True') return undefined;
  return { reason: ready.reason, message: ready.message };
}

/** Why a cluster with an Assignment is not Synced and Healthy, past what the hub would say. */
function assignmentProblem(a: Assignment): Failure | undefined {
  if (a.metadata.deletionTimestamp !== undefined)
    return { reason: 'Deleting', message: 'its Assignment is being deleted' };
  const state = assignmentState(a);
  if (state.failure !== undefined) return state.failure;
  const status = a.status;
  const generation = a.metadata.generation;
  const observed = status?.observedGeneration;
  if (status === undefined || (generation !== undefined && (observed ?? 0) < generation))
    return {
      reason: 'Pending',
      message:
        "waiting for the cluster's agent to report" +
        (generation === undefined ? '' : ` on generation ${generation}`),
    };
  if (status.drift !== undefined && status.drift.objects > 0)
    return { reason: 'Drifted', message: status.drift.message };
  const compared = status.sync?.revision;
  if (state.sync === 'OutOfSync' && compared !== undefined && compared !== a.spec.revision)
    return {
      reason: 'NotPinnedRevision',
      message: `compared against ${shortRevision(compared)}; the hub pinned ${shortRevision(a.spec.revision)}`,
    };
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (ready !== undefined && ready.status !== 'True')
    return { reason: ready.reason, message: ready.message };
  return undefined;
}

function rowOf(input: FleetStatusInput, name: string): FleetStatusRow {
  const app = input.fleetApplication;
  const hubSays = app.status?.failing?.find((f) => f.cluster === name);
  const a = input.assignments?.find((x) => x.spec.cluster === name);
  const entry = app.status?.clusters?.find((c) => c.name === name);
  // Without the Assignments, the hub's aggregate is the best there is.
  const state =
    input.assignments === undefined
      ? {
          sync: entry?.sync ?? 'Unknown',
          health: entry?.health ?? 'Unknown',
          ...(entry?.revision === undefined ? {} : { revision: entry.revision }),
        }
      : assignmentState(a);
  const problem =
    clusterProblem(input, name) ??
    (input.assignments === undefined
      ? hubSays
      : a === undefined
        ? (hubSays ?? { reason: 'Pending', message: 'the hub has not written its Assignment yet' })
        : assignmentProblem(a));
  return {
    cluster: name,
    sync: state.sync,
    health: state.health,
    ...(state.revision === undefined ? {} : { revision: state.revision }),
    ...(problem === undefined ? {} : { reason: problem.reason, message: problem.message }),
  };
}

/**
 * One row per cluster that has an Assignment of the FleetApplication, or that its status lists
 * as selected or failing (a selected cluster the hub has not written an Assignment for yet, a
 * name in spec.placement.clusterNames that no Cluster has), by name.
 */
export function fleetStatusReport(input: FleetStatusInput): FleetStatusReport {
  const app = input.fleetApplication;
  const names = new Set([
    ...(input.assignments ?? []).map((a) => a.spec.cluster),
    ...(app.status?.clusters ?? []).map((c) => c.name),
    ...(app.status?.failing ?? []).map((f) => f.cluster),
  ]);
  const rows = [...names].sort(byCodePoint).map((name) => rowOf(input, name));
  const stalled = app.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
  return {
    fleetApplication: { namespace: app.metadata.namespace ?? '', name: app.metadata.name },
    ...(app.status?.revision === undefined ? {} : { revision: app.status.revision }),
    ...(stalled === undefined
      ? {}
      : { stalled: { reason: stalled.reason, message: stalled.message } }),
    clusters: rows,
    summary: countOf(rows),
    source: input.assignments === undefined ? 'aggregate' : 'assignments',
    ...hubBehind(app),
    ...(app.status?.rollout === undefined ? {} : { rollout: app.status.rollout }),
  };
}

function hubBehind(app: FleetApplication): Pick<FleetStatusReport, 'hubBehind'> {
  const generation = app.metadata.generation;
  const observed = app.status?.observedGeneration;
  if (generation === undefined || (observed !== undefined && observed >= generation)) return {};
  return { hubBehind: { generation, ...(observed === undefined ? {} : { observed }) } };
}

const syncOrder: readonly SyncStatus[] = ['Synced', 'OutOfSync', 'Unknown'];

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** `4 clusters: 3 Synced, 1 OutOfSync; 3 Healthy, 1 Degraded`, leaving out the zeros. */
export function summaryLine(report: FleetStatusReport): string {
  const rows = report.clusters;
  // Both sides have an Unknown, so it says which it is.
  const counted = <T extends string>(
    order: readonly T[],
    of: (r: FleetStatusRow) => T,
    side: string,
  ): string =>
    order
      .map((s) => ({ s, n: rows.filter((r) => of(r) === s).length }))
      .filter((x) => x.n > 0)
      .map((x) => `${x.n} ${x.s}${x.s === 'Unknown' ? ` ${side}` : ''}`)
      .join(', ');
  const head = plural(rows.length, 'cluster');
  if (rows.length === 0) return head;
  const pinned = report.revision === undefined ? '' : ` (pinned ${shortRevision(report.revision)})`;
  return `${head}: ${counted(syncOrder, (r) => r.sync, 'sync')}; ${counted(HEALTH_ORDER, (r) => r.health, 'health')}${pinned}`;
}

const messageOf = (r: FleetStatusRow): string =>
  r.reason === undefined
    ? ''
    : r.message === undefined || r.message === ''
      ? r.reason
      : `${r.reason}: ${r.message}`;

/**
 * The table (CLUSTER SYNC HEALTH REVISION MESSAGE) with the summary line under it; a Stalled
 * FleetApplication first says why, since then no cluster gets anything.
 */
export function statusText(report: FleetStatusReport): string {
  const { namespace, name } = report.fleetApplication;
  const lines: string[] = [];
  if (report.stalled !== undefined)
    lines.push(
      printable(
        `FleetApplication ${namespace}/${name} is Stalled (${report.stalled.reason}): ${report.stalled.message}`,
      ),
    );
  if (report.hubBehind !== undefined) {
    const { generation, observed } = report.hubBehind;
    lines.push(
      `The hub has not acted on generation ${generation} of FleetApplication ${namespace}/${name} yet ` +
        (observed === undefined ? '(nor on any before it).' : `(it last acted on ${observed}).`),
    );
  }
  if (report.source === 'aggregate')
    lines.push(
      "From the FleetApplication's status, as the hub aggregated it: this identity may not list Assignments.",
    );
  if (report.clusters.length > 0)
    lines.push(
      safeTable(
        ['CLUSTER', 'SYNC', 'HEALTH', 'REVISION', 'MESSAGE'],
        report.clusters.map((r) => [
          r.cluster,
          r.sync,
          r.health,
          shortRevision(r.revision),
          messageOf(r),
        ]),
      ),
    );
  lines.push(summaryLine(report));
  if (report.rollout !== undefined && report.rollout.phase !== 'Complete')
    lines.push(printable(`Rollout ${report.rollout.phase}: ${report.rollout.message}`));
  return lines.join('\n');
}

/**
 * Whether every cluster is Synced and Healthy, the FleetApplication is not Stalled, and the hub
 * has acted on its current spec (else a spec just applied would pass on the old one's state).
 */
export function allReady(report: FleetStatusReport): boolean {
  return (
    report.stalled === undefined &&
    report.hubBehind === undefined &&
    report.clusters.every((r) => r.sync === 'Synced' && r.health === 'Healthy')
  );
}
