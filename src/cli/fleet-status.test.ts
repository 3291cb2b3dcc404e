import { describe, expect, it } from 'vitest';
import {
  buildAssignment,
  type Assignment,
  type AssignmentStatus,
  type Cluster as FleetCluster,
  type FleetApplication,
} from '../fleet/index.js';
import { cluster, fleetApp, sha1, sha2 } from '../fleet/testdata/fixtures.js';
import {
  allReady,
  assignmentsOf,
  fleetStatusReport,
  statusText,
  summaryLine,
  type FleetStatusInput,
} from './fleet-status.js';

const t = '2026-12-07T11:00:00Z';
const app: FleetApplication = { ...fleetApp(), status: { observedGeneration: 3, revision: sha1 } };

/** The Assignment the hub would write for `name`, at generation 1, with the agent's status. */
function assigned(name: string, status?: AssignmentStatus): Assignment {
  const a = buildAssignment({
    fleetApplication: app,
    cluster: cluster(name),
    revision: sha1,
    variables: {},
  });
  return {
    ...a,
    metadata: { ...a.metadata, generation: 1 },
    ...(status === undefined ? {} : { status }),
  };
}

const reported = (
  sync: 'Synced' | 'OutOfSync',
  health: 'Healthy' | 'Degraded' | 'Progressing',
  more: Partial<AssignmentStatus> = {},
): AssignmentStatus => ({
  observedGeneration: 1,
  sync: { status: sync, revision: sha1 },
  health: { status: health, message: health === 'Degraded' ? 'Deployment pos: 0/3 ready' : '' },
  lastSyncedRevision: sha1,
  ...more,
});

function readyCluster(name: string, ready: 'True' | 'False' = 'True'): FleetCluster {
  return {
    ...cluster(name),
    status: {
      conditions: [
        {
          type: 'Ready',
          status: ready,
          reason: ready === 'True' ? 'HeartbeatRenewed' : 'HeartbeatMissed',
          message: ready === 'True' ? '' : 'no heartbeat for 75s (timeout 60s)',
          lastTransitionTime: t,
        },
      ],
    },
  };
}

const input = (partial: Partial<FleetStatusInput>): FleetStatusInput => ({
  fleetApplication: app,
  assignments: [],
  clusters: ['store-1', 'store-2', 'store-3', 'store-4'].map((n) => readyCluster(n)),
  fleetNamespace: 'ballast-fleet',
  ...partial,
});

describe('ballast fleet status', () => {
  it('prints one row per cluster from the Assignments, then the summary line', () => {
    const report = fleetStatusReport(
      input({
        assignments: [
          assigned('store-1', reported('Synced', 'Healthy')),
          assigned('store-2', reported('Synced', 'Healthy')),
          assigned('store-3', reported('Synced', 'Healthy')),
          assigned(
            'store-4',
            reported('OutOfSync', 'Degraded', {
              refusal: {
                reason: 'UnsignedCommit',
                message: `commit ${sha1} is not signed`,
                revision: sha1,
                time: t,
              },
            }),
          ),
        ],
      }),
    );
    expect(statusText(report)).toBe(
      [
        'CLUSTER   SYNC        HEALTH     REVISION       MESSAGE',
        'store-1   Synced      Healthy    aaaaaaaaaaaa',
        'store-2   Synced      Healthy    aaaaaaaaaaaa',
        'store-3   Synced      Healthy    aaaaaaaaaaaa',
        `store-4   OutOfSync   Degraded   aaaaaaaaaaaa   UnsignedCommit: commit ${sha1} is not signed`,
        '4 clusters: 3 Synced, 1 OutOfSync; 3 Healthy, 1 Degraded (pinned aaaaaaaaaaaa)',
      ].join('\n'),
    );
    expect(report.summary.sync).toEqual({ synced: 3, outOfSync: 1, unknown: 0 });
    expect(allReady(report)).toBe(false);
  });

  it("a cluster whose heartbeat is missed says so, over its Assignment's stale report", () => {
    const report = fleetStatusReport(
      input({
        assignments: [assigned('store-1', reported('Synced', 'Healthy'))],
        clusters: [readyCluster('store-1', 'False')],
      }),
    );
    expect(report.clusters).toEqual([
      {
        cluster: 'store-1',
        sync: 'Synced',
        health: 'Healthy',
        revision: sha1,
        reason: 'HeartbeatMissed',
        message: 'no heartbeat for 75s (timeout 60s)',
      },
    ]);
  });

  it('a placed cluster without an Assignment, and a status written for an older spec, are pending', () => {
    const placed: FleetApplication = {
      ...app,
      status: {
        observedGeneration: 3,
        revision: sha1,
        clusters: [
          { name: 'store-1', sync: 'Unknown', health: 'Unknown' },
          { name: 'store-2', sync: 'Unknown', health: 'Unknown' },
        ],
        failing: [
          {
            cluster: 'store-9',
            reason: 'ClusterNotFound',
            message: 'spec.placement.clusterNames names store-9, but there is no such Cluster',
          },
        ],
      },
    };
    const stale = assigned('store-2', reported('Synced', 'Healthy'));
    stale.metadata.generation = 2;
    const report = fleetStatusReport(
      input({ fleetApplication: placed, assignments: [stale], clusters: undefined }),
    );
    expect(report.clusters.map((r) => [r.cluster, r.sync, r.health, r.reason])).toEqual([
      ['store-1', 'Unknown', 'Unknown', 'Pending'],
      ['store-2', 'Unknown', 'Healthy', 'Pending'],
      ['store-9', 'Unknown', 'Unknown', 'ClusterNotFound'],
    ]);
    expect(report.clusters[1]?.message).toBe(
      "waiting for the cluster's agent to report on generation 2",
    );
  });

  it('drift, and a report compared against another commit than the pinned one, say why', () => {
    const drifted = assigned(
      'store-1',
      reported('OutOfSync', 'Healthy', {
        drift: { objects: 1, message: 'Deployment pos/web: spec.replicas changed' },
      }),
    );
    const behind = assigned('store-2', {
      ...reported('Synced', 'Healthy'),
      sync: { status: 'Synced', revision: sha2 },
    });
    const rows = fleetStatusReport(input({ assignments: [drifted, behind] })).clusters;
    expect(rows.map((r) => [r.sync, r.reason, r.message])).toEqual([
      ['OutOfSync', 'Drifted', 'Deployment pos/web: spec.replicas changed'],
      [
        'OutOfSync',
        'NotPinnedRevision',
        'compared against bbbbbbbbbbbb; the hub pinned aaaaaaaaaaaa',
      ],
    ]);
  });

  it('a selector matching nothing shows 0 clusters, which is not a failure', () => {
    const report = fleetStatusReport(input({}));
    expect(statusText(report)).toBe('0 clusters');
    expect(allReady(report)).toBe(true);
  });

  it('a spec the hub has not acted on yet is said first, and is not ready whatever the rows say', () => {
    const edited: FleetApplication = { ...app, status: { observedGeneration: 2, revision: sha1 } };
    const synced = [assigned('store-1', reported('Synced', 'Healthy'))];
    const behind = fleetStatusReport(input({ fleetApplication: edited, assignments: synced }));
    expect(statusText(behind).split('\n')[0]).toBe(
      'The hub has not acted on generation 3 of FleetApplication retail/pos yet (it last acted on 2).',
    );
    expect(allReady(behind)).toBe(false);
    const fresh = fleetStatusReport(input({ fleetApplication: fleetApp() }));
    expect(statusText(fresh)).toBe(
      [
        'The hub has not acted on generation 3 of FleetApplication retail/pos yet (nor on any before it).',
        '0 clusters',
      ].join('\n'),
    );
    const caughtUp = fleetStatusReport(
      input({ assignments: synced, clusters: [readyCluster('store-1')] }),
    );
    expect([caughtUp.hubBehind, allReady(caughtUp)]).toEqual([undefined, true]);
  });

  it('a Stalled FleetApplication says why first, and is not ready', () => {
    const stalled: FleetApplication = {
      ...app,
      status: {
        observedGeneration: 3,
        conditions: [
          {
            type: 'Stalled',
            status: 'True',
            reason: 'InvalidSpec',
            message: 'spec.placement.clusterSelector: expected a label selector',
            lastTransitionTime: t,
          },
        ],
      },
    };
    const report = fleetStatusReport(input({ fleetApplication: stalled }));
    expect(statusText(report)).toBe(
      [
        'FleetApplication retail/pos is Stalled (InvalidSpec): spec.placement.clusterSelector: expected a label selector',
        '0 clusters',
      ].join('\n'),
    );
    expect(allReady(report)).toBe(false);
  });

  it("without the right to list Assignments, the rows are the hub's aggregate, and say so", () => {
    const aggregated: FleetApplication = {
      ...app,
      status: {
        observedGeneration: 3,
        revision: sha1,
        clusters: [{ name: 'store-1', sync: 'Synced', health: 'Progressing', revision: sha1 }],
      },
    };
    const report = fleetStatusReport(
      input({ fleetApplication: aggregated, assignments: undefined, clusters: undefined }),
    );
    expect(report.source).toBe('aggregate');
    expect(statusText(report).split('\n')).toEqual([
      "From the FleetApplication's status, as the hub aggregated it: this identity may not list Assignments.",
      'CLUSTER   SYNC     HEALTH        REVISION       MESSAGE',
      'store-1   Synced   Progressing   aaaaaaaaaaaa',
      '1 cluster: 1 Synced; 1 Progressing (pinned aaaaaaaaaaaa)',
    ]);
  });

  it("only Assignments of this FleetApplication in their own cluster's namespace count", () => {
    const own = assigned('store-1');
    const otherApp = {
      ...own,
      spec: { ...own.spec, fleetApplication: { namespace: 'retail', name: 'till' } },
    };
    const elsewhere = {
      ...own,
      metadata: { ...own.metadata, namespace: 'ballast-cluster-store-2' },
    };
    expect(assignmentsOf({ namespace: 'retail', name: 'pos' }, [own, otherApp, elsewhere])).toEqual(
      [own],
    );
    expect(summaryLine(fleetStatusReport(input({ assignments: [own] })))).toBe(
      '1 cluster: 1 Unknown sync; 1 Unknown health (pinned aaaaaaaaaaaa)',
    );
  });
});
