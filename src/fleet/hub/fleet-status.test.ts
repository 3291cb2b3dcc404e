import { describe, expect, it } from 'vitest';
import { aggregateFleetStatus } from '../aggregate.js';
import { sha1 } from '../testdata/fixtures.js';
import { heartbeatTimeoutOf } from './cluster-reconcile.js';
import type { RolloutStatus } from '../rollout-spec.js';
import { fleetStatus, stalledStatus } from './fleet-status.js';

const t0 = Date.parse('2026-12-07T10:00:00Z');

const rollout = (phase: RolloutStatus['phase'], message = ''): RolloutStatus => ({
  revision: sha1,
  phase,
  strategy: 'progressive',
  startedAt: '2026-12-07T09:00:00Z',
  rollback: false,
  paused: false,
  failedCount: 0,
  message,
});

describe('fleetStatus', () => {
  it('is Ready with 0 clusters when the placement selects none: not an error', () => {
    const s = fleetStatus({
      current: undefined,
      generation: 2,
      revision: sha1,
      aggregate: aggregateFleetStatus({ selected: [], assignments: [] }),
      collisions: [],
      rollout: rollout('Complete'),
      nowMs: t0,
    });
    expect(s.summary?.total).toBe(0);
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'NoClustersSelected',
      observedGeneration: 2,
    });
    expect(s.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('False');
  });

  it('names a failing cluster and a variable collision in Ready', () => {
    const s = fleetStatus({
      current: undefined,
      generation: 1,
      revision: sha1,
      aggregate: aggregateFleetStatus({
        selected: ['store-1'],
        assignments: [],
        clusterProblems: new Map([['store-1', { reason: 'HeartbeatMissed', message: 'gone' }]]),
      }),
      collisions: [
        { cluster: 'store-1', variable: 'cluster_label_a_b', sources: ['label a-b', 'label a.b'] },
      ],
      rollout: rollout('Complete'),
      nowMs: t0,
    });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ClustersFailing',
      message:
        '1 of 1 cluster(s) failing; store-1: HeartbeatMissed: gone; Cluster store-1: variable cluster_label_a_b is left unset, since label a-b and label a.b both give that name',
    });
  });

  it('keeps lastTransitionTime while a condition does not flip', () => {
    const input = {
      generation: 1,
      revision: sha1,
      aggregate: aggregateFleetStatus({ selected: [], assignments: [] }),
      collisions: [],
      rollout: rollout('Complete'),
    };
    const first = fleetStatus({ ...input, current: undefined, nowMs: t0 });
    const again = fleetStatus({ ...input, current: first, nowMs: t0 + 60_000 });
    expect(again).toEqual(first);
  });

  it('is not Ready while a rollout is halted, whatever the clusters at their pins say', () => {
    const s = fleetStatus({
      current: undefined,
      generation: 3,
      revision: sha1,
      aggregate: aggregateFleetStatus({ selected: [], assignments: [] }),
      collisions: [],
      rollout: rollout('Halted', 'rollout halted: store-1 (ProgressDeadlineExceeded)'),
      nowMs: t0,
    });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'RolloutHalted',
      message: 'rollout halted: store-1 (ProgressDeadlineExceeded)',
    });
    expect(s.rollout?.phase).toBe('Halted');
  });
});

describe('stalledStatus', () => {
  it('stalls with the field path, keeping what was aggregated before', () => {
    const s = stalledStatus(
      { revision: sha1 },
      { reason: 'InvalidSpec', message: 'spec.placement.clusterSelector.matchLabels: bad key' },
      4,
      t0,
    );
    expect(s.revision).toBe(sha1);
    expect(s.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'InvalidSpec',
      message: 'spec.placement.clusterSelector.matchLabels: bad key',
      observedGeneration: 4,
    });
  });
});

describe('heartbeatTimeoutOf', () => {
  it("uses the hub's --heartbeat-timeout for a Cluster left at the CRD default, and the Cluster's own otherwise", () => {
    expect(heartbeatTimeoutOf({ heartbeatTimeout: '60s' }, 30_000)).toBe(30_000);
    expect(heartbeatTimeoutOf({}, 30_000)).toBe(30_000);
    expect(heartbeatTimeoutOf({ heartbeatTimeout: '5s' }, 30_000)).toBe(5_000);
  });
});
