import { describe, expect, it } from 'vitest';
import type { AssignmentState } from './aggregate.js';
import {
  planRollout,
  type RolloutCluster,
  type RolloutInput,
  type RolloutPlan,
} from './rollout.js';
import type { RolloutSpec, RolloutStatus } from './rollout-spec.js';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const NEWER = 'c'.repeat(40);
const T0 = Date.parse('2026-12-07T10:00:00Z');

/** A progressive spec; `strategy: undefined` in `over` leaves the strategy unset. */
const progressive = (
  over: Partial<Omit<RolloutSpec, 'strategy'>> & {
    strategy?: RolloutSpec['strategy'] | undefined;
  } = {},
): RolloutSpec => {
  const { strategy, ...rest } = { strategy: 'progressive' as const, ...over };
  return { ...base, ...rest, ...(strategy === undefined ? {} : { strategy }) };
};

const base: RolloutSpec = {
  groups: [
    { name: 'canary', clusterSelector: { matchLabels: { canary: 'true' } } },
    { name: 'west', clusterSelector: { matchLabels: { region: 'west' } } },
  ],
  maxConcurrency: 1,
  maxFailures: 0,
  progressDeadline: '5m',
  minSuccessTime: '1m',
  paused: false,
};

const healthy = (revision: string): AssignmentState => ({
  sync: 'Synced',
  health: 'Healthy',
  revision,
});
const progressing = (revision: string): AssignmentState => ({
  sync: 'Synced',
  health: 'Progressing',
  revision,
});

/** c1 canary; c2, c3 west; c4 in no group. All run OLD, healthy. */
function fleet(): RolloutCluster[] {
  const labels: Record<string, Record<string, string>> = {
    c1: { canary: 'true', region: 'west' },
    c2: { region: 'west' },
    c3: { region: 'west' },
    c4: { region: 'east' },
  };
  return Object.entries(labels).map(([name, l]) => ({
    name,
    labels: l,
    pinned: { revision: OLD, atMs: T0 - 3_600_000 },
    state: healthy(OLD),
  }));
}

const completeAt = (revision: string): RolloutStatus => ({
  revision,
  phase: 'Complete',
  strategy: 'progressive',
  startedAt: new Date(T0 - 3_600_000).toISOString(),
  rollback: false,
  paused: false,
  groups: [],
  failedCount: 0,
  message: '',
});

function plan(over: Partial<RolloutInput>): RolloutPlan {
  return planRollout({
    spec: progressive(),
    target: NEW,
    rollback: false,
    clusters: fleet(),
    previous: completeAt(OLD),
    healthySince: new Map(),
    nowMs: T0,
    ...over,
  });
}

/** Applies a plan's pins to the clusters, as the hub writing Assignments at `atMs` would. */
function pinned(clusters: RolloutCluster[], p: RolloutPlan, atMs: number): RolloutCluster[] {
  return clusters.map((c) => {
    const rev = p.pins.get(c.name);
    if (rev === undefined || rev === c.pinned?.revision) return c;
    return { ...c, pinned: { revision: rev, atMs }, state: { sync: 'Unknown', health: 'Unknown' } };
  });
}

const report = (
  clusters: RolloutCluster[],
  name: string,
  state: AssignmentState,
): RolloutCluster[] => clusters.map((c) => (c.name === name ? { ...c, state } : c));

describe('a progressive rollout', () => {
  it('starts with the canary group alone, leaving every other cluster pinned to the old commit', () => {
    const p = plan({});
    expect(Object.fromEntries(p.pins)).toEqual({ c1: NEW, c2: OLD, c3: OLD, c4: OLD });
    expect(p.status.phase).toBe('Progressing');
    expect(p.status.fromRevision).toBe(OLD);
    expect(p.status.groups?.map((g) => [g.name, g.clusters, g.updating])).toEqual([
      ['canary', 1, 1],
      ['west', 2, 0],
      ['(rest)', 1, 0],
    ]);
    expect(p.events).toEqual([{ kind: 'started', revision: NEW }]);
  });

  it('waits minSuccessTime after the canary is Healthy before starting the next group, one cluster at a time', () => {
    const first = plan({});
    let clusters = report(pinned(fleet(), first, T0), 'c1', healthy(NEW));
    const healthyNow = plan({ clusters, previous: first.status, nowMs: T0 + 10_000 });
    expect(healthyNow.pins.get('c2')).toBe(OLD);
    expect(healthyNow.recheckAfterMs).toBe(60_000);

    const later = plan({
      clusters,
      previous: healthyNow.status,
      healthySince: healthyNow.healthySince,
      nowMs: T0 + 70_000,
    });
    expect(later.events).toContainEqual({ kind: 'group-complete', group: 'canary' });
    // maxConcurrency 1: one west cluster, in name order; the rest group still waits.
    expect(Object.fromEntries(later.pins)).toEqual({ c1: NEW, c2: NEW, c3: OLD, c4: OLD });
    clusters = pinned(clusters, later, T0 + 70_000);
    const same = plan({
      clusters,
      previous: later.status,
      healthySince: later.healthySince,
      nowMs: T0 + 80_000,
    });
    expect(same.pins.get('c3')).toBe(OLD);
  });

  it('halts when failures exceed maxFailures, names the cluster, and never touches later groups', () => {
    const first = plan({});
    const clusters = report(pinned(fleet(), first, T0), 'c1', progressing(NEW));
    const late = plan({ clusters, previous: first.status, nowMs: T0 + 5 * 60_000 + 1 });
    expect(late.status.phase).toBe('Halted');
    expect(late.status.failed).toEqual([
      expect.objectContaining({ cluster: 'c1', reason: 'ProgressDeadlineExceeded' }),
    ]);
    expect(late.status.message).toMatch(/halted.*c1 \(ProgressDeadlineExceeded\)/);
    expect(late.events).toContainEqual(expect.objectContaining({ kind: 'halted' }));
    expect(Object.fromEntries(late.pins)).toEqual({ c1: NEW, c2: OLD, c3: OLD, c4: OLD });

    // Halting is for the revision: the canary recovering does not resume it, nor does promote.
    const recovered = report(clusters, 'c1', healthy(NEW));
    const after = plan({
      clusters: recovered,
      previous: late.status,
      promote: { revision: NEW, group: 'canary', by: 'jane' },
      nowMs: T0 + 20 * 60_000,
    });
    expect(after.status.phase).toBe('Halted');
    expect(after.pins.get('c2')).toBe(OLD);
  });

  it('counts a cluster that reports a failure as failed at once, without waiting for the deadline', () => {
    const first = plan({});
    const clusters = report(pinned(fleet(), first, T0), 'c1', {
      sync: 'Synced',
      health: 'Degraded',
      revision: NEW,
      failure: { reason: 'Degraded', message: 'Deployment web: 0/1 ready' },
    });
    const p = plan({ clusters, previous: first.status, nowMs: T0 + 1000 });
    expect(p.status.phase).toBe('Halted');
    expect(p.status.failed?.[0]).toEqual({
      cluster: 'c1',
      reason: 'Degraded',
      message: 'Deployment web: 0/1 ready',
    });
  });

  it('lets failures within maxFailures through: the group completes with its failed cluster', () => {
    const spec = progressive({ maxFailures: '25%', minSuccessTime: '0s' });
    const first = plan({ spec });
    const clusters = report(pinned(fleet(), first, T0), 'c1', {
      sync: 'Synced',
      health: 'Degraded',
      revision: NEW,
      failure: { reason: 'Degraded', message: 'broken' },
    });
    const p = plan({ spec, clusters, previous: first.status, nowMs: T0 + 1000 });
    expect(p.status.phase).toBe('Progressing');
    expect(p.status.failedCount).toBe(1);
    expect(p.pins.get('c2')).toBe(NEW);
  });

  it('is superseded by a newer commit, which starts again from the first group and clears the halt', () => {
    const first = plan({});
    const clusters = report(pinned(fleet(), first, T0), 'c1', progressing(NEW));
    const halted = plan({ clusters, previous: first.status, nowMs: T0 + 10 * 60_000 });
    expect(halted.status.phase).toBe('Halted');
    const fix = plan({ clusters, previous: halted.status, target: NEWER, nowMs: T0 + 11 * 60_000 });
    expect(fix.status.phase).toBe('Progressing');
    expect(fix.status.revision).toBe(NEWER);
    // What the fleet ran before is still the last complete rollout, not the halted one.
    expect(fix.status.fromRevision).toBe(OLD);
    expect(fix.events).toContainEqual({ kind: 'started', revision: NEWER, superseded: NEW });
    expect(Object.fromEntries(fix.pins)).toEqual({ c1: NEWER, c2: OLD, c3: OLD, c4: OLD });
    // An empty list, not none: a merge patch of the status must replace the halt's list.
    expect(fix.status.failed).toEqual([]);
    expect(fix.status.failedCount).toBe(0);
  });

  it('starts nothing while paused, and carries on once resumed', () => {
    const paused = plan({ spec: progressive({ paused: true }) });
    expect(paused.status.phase).toBe('Paused');
    expect(Object.fromEntries(paused.pins)).toEqual({ c1: OLD, c2: OLD, c3: OLD, c4: OLD });
    const resumed = plan({ previous: paused.status });
    expect(resumed.pins.get('c1')).toBe(NEW);
  });

  it('promote skips the wait of the current group only, and says who asked', () => {
    const first = plan({});
    const clusters = pinned(fleet(), first, T0);
    const p = plan({
      clusters,
      previous: first.status,
      promote: { revision: NEW, group: 'canary', by: 'jane' },
      nowMs: T0 + 1000,
    });
    expect(p.events).toContainEqual({ kind: 'promoted', group: 'canary', by: 'jane' });
    expect(p.status.groups?.[0]).toMatchObject({
      name: 'canary',
      complete: true,
      promotedBy: 'jane',
    });
    expect(Object.fromEntries(p.pins)).toEqual({ c1: NEW, c2: NEW, c3: OLD, c4: OLD });
    // A promotion of a group that is not current, or for another commit, does nothing.
    const stale = plan({
      clusters,
      previous: first.status,
      promote: { revision: NEW, group: 'west', by: 'jane' },
      nowMs: T0 + 1000,
    });
    expect(stale.pins.get('c2')).toBe(OLD);
  });

  it('stays Progressing after the last group is promoted until its clusters are Healthy at the commit, without their minSuccessTime', () => {
    const spec = progressive({ groups: [] });
    const first = plan({ spec });
    const clusters = pinned(fleet(), first, T0);
    const promoted = plan({
      spec,
      clusters,
      previous: first.status,
      promote: { revision: NEW, group: '(rest)', by: 'jane' },
      nowMs: T0 + 1000,
    });
    expect(Object.fromEntries(promoted.pins)).toEqual({ c1: NEW, c2: NEW, c3: NEW, c4: NEW });
    expect(promoted.status.phase).toBe('Progressing');
    expect(promoted.status.message).toMatch(/every group started, 4 cluster\(s\) still updating$/);
    expect(promoted.events).not.toContainEqual({ kind: 'complete' });

    let settled = pinned(clusters, promoted, T0 + 1000);
    for (const c of ['c1', 'c2', 'c3', 'c4']) settled = report(settled, c, healthy(NEW));
    const done = plan({ spec, clusters: settled, previous: promoted.status, nowMs: T0 + 5000 });
    expect(done.status.phase).toBe('Complete');
    expect(done.events).toContainEqual({ kind: 'complete' });
  });

  it('gives a cluster that joins mid-rollout the commit the fleet ran before until its wave comes', () => {
    const first = plan({});
    const clusters = [
      ...pinned(fleet(), first, T0),
      { name: 'c5', labels: { region: 'east' }, state: { sync: 'Unknown', health: 'Unknown' } },
    ] satisfies RolloutCluster[];
    const p = plan({ clusters, previous: first.status, nowMs: T0 + 1000 });
    expect(p.pins.get('c5')).toBe(OLD);
  });

  it('with no earlier commit, writes no Assignment for clusters whose wave has not come', () => {
    const unknown: AssignmentState = { sync: 'Unknown', health: 'Unknown' };
    const fresh = fleet().map(({ pinned: _, ...c }) => ({ ...c, state: unknown }));
    const p = plan({ clusters: fresh, previous: undefined });
    expect(Object.fromEntries(p.pins)).toEqual({ c1: NEW });
    expect(p.status.fromRevision).toBeUndefined();
  });

  it('completes when every group is done, and an undo rolls the previous commit out through the same waves', () => {
    const spec = progressive({ minSuccessTime: '0s', maxConcurrency: '100%' });
    let clusters = fleet();
    let previous: RolloutStatus | undefined = completeAt(OLD);
    let since = new Map<string, number>();
    let last: RolloutPlan | undefined;
    for (let step = 0; step < 4; step++) {
      last = plan({ spec, clusters, previous, healthySince: since, nowMs: T0 + step * 1000 });
      clusters = pinned(clusters, last, T0 + step * 1000).map((c) =>
        c.pinned?.revision === NEW ? { ...c, state: healthy(NEW) } : c,
      );
      previous = last.status;
      since = last.healthySince;
    }
    const done = plan({ spec, clusters, previous, healthySince: since, nowMs: T0 + 5000 });
    expect(done.status.phase).toBe('Complete');
    expect(done.events).toEqual([]);

    const undo = plan({
      spec,
      clusters,
      previous: done.status,
      target: OLD,
      rollback: true,
      nowMs: T0 + 6000,
    });
    expect(undo.status).toMatchObject({ revision: OLD, rollback: true, fromRevision: NEW });
    expect(Object.fromEntries(undo.pins)).toEqual({ c1: OLD, c2: NEW, c3: NEW, c4: NEW });
  });
});

describe('strategy all', () => {
  it('is the default below ten clusters and pins every cluster at once, without halting', () => {
    const spec = progressive({ strategy: undefined });
    const p = plan({ spec });
    expect(p.status.strategy).toBe('all');
    expect(Object.fromEntries(p.pins)).toEqual({ c1: NEW, c2: NEW, c3: NEW, c4: NEW });
    const clusters = report(pinned(fleet(), p, T0), 'c1', progressing(NEW));
    const late = plan({ spec, clusters, previous: p.status, nowMs: T0 + 10 * 60_000 });
    // Every cluster was given the commit and settled: complete, with the failures named.
    expect(late.status.phase).toBe('Complete');
    expect(late.status.failedCount).toBe(4);
    expect(late.status.message).toMatch(/4 failed: c1 \(ProgressDeadlineExceeded\)/);
  });

  it('is progressive by default from ten clusters on', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({
      name: `c${String(i).padStart(2, '0')}`,
      pinned: { revision: OLD, atMs: T0 },
      state: healthy(OLD),
    }));
    const p = plan({ spec: progressive({ strategy: undefined, groups: [] }), clusters: many });
    expect(p.status.strategy).toBe('progressive');
    expect([...p.pins.values()].filter((r) => r === NEW)).toHaveLength(1);
  });
});
