import { byCodePoint } from '../api/object.js';
import {
  wavesOf,
  strategyOf,
  type Assignment,
  type Cluster as FleetCluster,
  type FleetApplication,
  type RolloutStatus,
} from '../fleet/index.js';
import { printable, safeTable, shortRevision } from './fleet-format.js';

/** One placed cluster in `ballast fleet rollout status`. */
export interface RolloutRow {
  cluster: string;
  /** Its wave; undefined when the caller may not read the Clusters' labels. */
  group?: string;
  /** The commit its Assignment is pinned to. */
  pinned?: string;
  /** The commit it runs. */
  running?: string;
  sync: string;
  health: string;
}

export interface RolloutReport {
  fleetApplication: { namespace: string; name: string };
  /** Undefined until the hub has rolled out a commit. */
  rollout?: RolloutStatus;
  clusters: RolloutRow[];
}

/**
 * What `ballast fleet rollout status` shows: the rollout the hub wrote, and each selected
 * cluster with its wave, the commit it is pinned to and the one it runs. Pure.
 */
export function rolloutReport(
  app: FleetApplication,
  assignments: readonly Assignment[] | undefined,
  clusters: readonly FleetCluster[] | undefined,
): RolloutReport {
  const entries = app.status?.clusters ?? [];
  const groupOf = new Map<string, string>();
  if (clusters !== undefined) {
    const placed = new Set(entries.map((e) => e.name));
    const rc = clusters
      .filter((c) => placed.has(c.metadata.name))
      .map((c) => ({
        name: c.metadata.name,
        ...(c.metadata.labels === undefined ? {} : { labels: c.metadata.labels }),
        state: { sync: 'Unknown' as const, health: 'Unknown' as const },
      }));
    const strategy = app.status?.rollout?.strategy ?? strategyOf(app.spec.rollout, rc.length);
    for (const w of wavesOf(app.spec.rollout, strategy, rc))
      for (const c of w.clusters) groupOf.set(c.name, w.name);
  }
  const pins = new Map((assignments ?? []).map((a) => [a.spec.cluster, a.spec.revision]));
  const rows = [...entries]
    .sort((a, b) => byCodePoint(a.name, b.name))
    .map((e) => {
      const group = groupOf.get(e.name);
      const pinned = pins.get(e.name);
      return {
        cluster: e.name,
        ...(group === undefined ? {} : { group }),
        ...(pinned === undefined ? {} : { pinned }),
        ...(e.revision === undefined ? {} : { running: e.revision }),
        sync: e.sync,
        health: e.health,
      };
    });
  return {
    fleetApplication: { namespace: app.metadata.namespace ?? '', name: app.metadata.name },
    ...(app.status?.rollout === undefined ? {} : { rollout: app.status.rollout }),
    clusters: rows,
  };
}

/** The report as text: a header, the waves, the clusters, and the failures. */
export function rolloutText(report: RolloutReport): string {
  const { namespace, name } = report.fleetApplication;
  const r = report.rollout;
  if (r === undefined) return `FleetApplication ${namespace}/${name}: no rollout yet`;
  const from = r.fromRevision === undefined ? '' : ` from ${shortRevision(r.fromRevision)}`;
  const lines = [
    `FleetApplication ${namespace}/${name}: ${r.phase}${r.rollback ? ' (undo)' : ''}, ${r.strategy}`,
    `Revision: ${shortRevision(r.revision)}${from}, started ${r.startedAt}`,
    printable(`Message:  ${r.message}`),
    '',
    safeTable(
      ['GROUP', 'CLUSTERS', 'DONE', 'UPDATING', 'FAILED', 'COMPLETE', 'PROMOTED-BY'],
      (r.groups ?? []).map((g) => [
        g.name,
        String(g.clusters),
        String(g.done),
        String(g.updating),
        String(g.failed),
        String(g.complete),
        g.promotedBy ?? '',
      ]),
    ),
  ];
  if (report.clusters.length > 0)
    lines.push(
      '',
      safeTable(
        ['CLUSTER', 'GROUP', 'PINNED', 'RUNNING', 'SYNC', 'HEALTH'],
        report.clusters.map((c) => [
          c.cluster,
          c.group ?? '',
          shortRevision(c.pinned),
          shortRevision(c.running),
          c.sync,
          c.health,
        ]),
      ),
    );
  if ((r.failed ?? []).length > 0)
    lines.push(
      '',
      `FAILED (${r.failedCount})`,
      safeTable(
        ['CLUSTER', 'REASON', 'MESSAGE'],
        (r.failed ?? []).map((f) => [f.cluster, f.reason, f.message]),
      ),
    );
  return lines.join('\n');
}

export { currentGroup } from '../fleet/rollout-requests.js';
