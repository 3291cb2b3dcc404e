import { describe, expect, it } from 'vitest';
import { validate } from '../api/schema-validate.js';
import { aggregateFleetStatus, assignmentState, clusterAppCounts } from './aggregate.js';
import type { Assignment, AssignmentStatus } from './assignment.js';
import { buildAssignment } from './assignment-build.js';
import { fleetApplicationStatusSchema } from './fleet-application.js';
import { cluster, fleetApp, sha1, sha2 } from './testdata/fixtures.js';

const at = '2025-05-12T09:14:03Z';

/** The Assignment of `retail/pos` on `name`, at generation 1, with what its agent reported. */
function assignment(name: string, status?: AssignmentStatus, generation = 1): Assignment {
  const a = buildAssignment({
    fleetApplication: fleetApp(),
    cluster: cluster(name),
    revision: sha1,
    variables: {},
  });
  return {
    ...a,
    metadata: { ...a.metadata, generation },
    ...(status === undefined ? {} : { status }),
  };
}

const synced = (over: Partial<AssignmentStatus> = {}): AssignmentStatus => ({
  observedGeneration: 1,
  sync: { status: 'Synced', revision: sha1 },
  health: { status: 'Healthy', message: 'all objects are healthy' },
  lastSyncedRevision: sha1,
  ...over,
});

describe('aggregateFleetStatus', () => {
  it('counts four synced, healthy clusters as four of four, none failing, each at the pinned commit', () => {
    const names = ['s1', 's2', 's3', 's4'];
    const r = aggregateFleetStatus({
      selected: names,
      assignments: names.map((n) => assignment(n, synced())),
    });
    expect(r.summary).toEqual({
      total: 4,
      sync: { synced: 4, outOfSync: 0, unknown: 0 },
      health: { healthy: 4, suspended: 0, progressing: 0, unknown: 0, missing: 0, degraded: 0 },
      failing: 0,
    });
    expect(r.failing).toEqual([]);
    expect(r.clusters).toEqual(
      names.map((name) => ({ name, revision: sha1, sync: 'Synced', health: 'Healthy' })),
    );
  });

  it('counts a selected cluster whose Assignment is not written or not reported yet as Unknown, not failing', () => {
    const r = aggregateFleetStatus({
      selected: ['new', 'quiet'],
      assignments: [assignment('quiet')],
    });
    expect(r.summary.sync).toEqual({ synced: 0, outOfSync: 0, unknown: 2 });
    expect(r.summary.health.unknown).toBe(2);
    expect(r.failing).toEqual([]);
    expect(r.clusters).toEqual([
      { name: 'new', sync: 'Unknown', health: 'Unknown' },
      { name: 'quiet', sync: 'Unknown', health: 'Unknown' },
    ]);
  });

  it('shows a spoke that refused an unsigned commit as failing with its reason, still running the old commit', () => {
    const refused = synced({
      sync: { status: 'OutOfSync', revision: sha1 },
      lastSyncedRevision: sha2,
      refusal: {
        reason: 'UnsignedCommit',
        message: `commit ${sha1} is not signed by a trusted key`,
        revision: sha1,
        time: at,
      },
    });
    const r = aggregateFleetStatus({
      selected: ['ok', 'rogue'],
      assignments: [assignment('ok', synced()), assignment('rogue', refused)],
    });
    expect(r.failing).toEqual([
      {
        cluster: 'rogue',
        reason: 'UnsignedCommit',
        message: `commit ${sha1} is not signed by a trusted key`,
      },
    ]);
    expect(r.summary.failing).toBe(1);
    expect(r.clusters[1]).toEqual({
      name: 'rogue',
      revision: sha2,
      sync: 'OutOfSync',
      health: 'Healthy',
    });
  });

  it('names the unset variable of a Stalled cluster, and the others are unaffected', () => {
    const stalled = synced({
      sync: { status: 'Unknown' },
      conditions: [
        {
          type: 'Stalled',
          status: 'True',
          reason: 'SubstitutionFailed',
          message: 'deploy/cm.yaml:1: ConfigMap/pos/x: data.a: variable region is not set; …',
          lastTransitionTime: at,
        },
      ],
    });
    const r = aggregateFleetStatus({
      selected: ['a', 'b'],
      assignments: [assignment('a', stalled), assignment('b', synced())],
    });
    expect(r.failing).toEqual([
      {
        cluster: 'a',
        reason: 'SubstitutionFailed',
        message: expect.stringContaining('variable region is not set') as string,
      },
    ]);
    expect(r.summary.sync).toEqual({ synced: 1, outOfSync: 0, unknown: 1 });
  });

  it('counts Synced to another commit as OutOfSync: Synced means at the pinned commit', () => {
    const old = synced({ sync: { status: 'Synced', revision: sha2 }, lastSyncedRevision: sha2 });
    expect(assignmentState(assignment('x', old))).toEqual({
      sync: 'OutOfSync',
      health: 'Healthy',
      revision: sha2,
    });
  });

  it('does not trust a status written for an older spec: sync Unknown, its refusal not counted', () => {
    const stale = synced({
      observedGeneration: 1,
      refusal: { reason: 'NotDescendant', message: 'old', revision: sha2, time: at },
    });
    expect(assignmentState(assignment('x', stale, 2))).toEqual({
      sync: 'Unknown',
      health: 'Healthy',
      revision: sha1,
    });
  });

  it('lists the first 10 failing clusters by name and counts them all, degraded and missing ones included', () => {
    const names = Array.from({ length: 14 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const degraded = synced({ health: { status: 'Degraded', message: 'web: CrashLoopBackOff' } });
    const r = aggregateFleetStatus({
      selected: [...names].reverse(),
      assignments: names.map((n) => assignment(n, degraded)),
      missing: ['zz-gone'],
    });
    expect(r.summary.failing).toBe(15);
    expect(r.failing.map((f) => f.cluster)).toEqual(names.slice(0, 10));
    expect(r.failing[0]).toEqual({
      cluster: 'c00',
      reason: 'Degraded',
      message: 'web: CrashLoopBackOff',
    });
    expect(r.clusters.map((c) => c.name)).toEqual(names);
  });

  it('reports a named cluster that does not exist as failing with ClusterNotFound, outside the counts', () => {
    const r = aggregateFleetStatus({ selected: [], assignments: [], missing: ['store-9'] });
    expect(r.summary.total).toBe(0);
    expect(r.failing).toEqual([
      {
        cluster: 'store-9',
        reason: 'ClusterNotFound',
        message: 'spec.placement.clusterNames names store-9, but there is no such Cluster',
      },
    ]);
  });

  it("puts the hub's own view of a cluster (HeartbeatMissed) above what its stale Assignment says", () => {
    const r = aggregateFleetStatus({
      selected: ['edge'],
      assignments: [assignment('edge', synced())],
      clusterProblems: new Map([
        ['edge', { reason: 'HeartbeatMissed', message: 'no heartbeat for 75s' }],
      ]),
    });
    expect(r.failing).toEqual([
      { cluster: 'edge', reason: 'HeartbeatMissed', message: 'no heartbeat for 75s' },
    ]);
  });

  it('ignores the Assignment of a cluster no longer selected, which is being deleted', () => {
    const r = aggregateFleetStatus({
      selected: ['kept'],
      assignments: [assignment('kept', synced()), assignment('dropped', synced())],
    });
    expect(r.summary.total).toBe(1);
    expect(r.clusters.map((c) => c.name)).toEqual(['kept']);
  });

  it('gives a status the FleetApplication schema accepts as it is', () => {
    const r = aggregateFleetStatus({
      selected: ['a', 'b'],
      assignments: [assignment('a', synced())],
      missing: ['c'],
    });
    const status = { observedGeneration: 3, revision: sha1, ...r };
    expect(validate(fleetApplicationStatusSchema, status, 'status')).toEqual({
      kind: 'ok',
      value: status,
    });
  });

  it('gives zero counts for a placement that selects no cluster', () => {
    const r = aggregateFleetStatus({ selected: [], assignments: [] });
    expect(r.summary.total).toBe(0);
    expect(r.failing).toEqual([]);
    expect(r.clusters).toEqual([]);
  });
});

describe('clusterAppCounts', () => {
  it("counts a Cluster's Assignments by sync and health for its APPS column", () => {
    const counts = clusterAppCounts([
      assignment('c', synced()),
      assignment('c', synced({ health: { status: 'Progressing', message: '' } })),
      assignment('c'),
    ]);
    expect(counts).toEqual({
      total: 3,
      sync: { synced: 2, outOfSync: 0, unknown: 1 },
      health: { healthy: 1, suspended: 0, progressing: 1, unknown: 1, missing: 0, degraded: 0 },
    });
  });
});
