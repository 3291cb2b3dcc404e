import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.js';
import { buildAssignment } from '../assignment-build.js';
import { clusterVariables } from '../variables.js';
import { cluster, fleetApp, sha1, sha2 } from '../testdata/fixtures.js';
import { pinnedAtAnnotation } from '../names.js';
import { planAssignments } from './plan.js';

const now = '2026-12-07T10:00:00Z';

const stores = [
  cluster('store-1', { tier: 'store', region: 'eu' }),
  cluster('store-2', { tier: 'store', region: 'us' }),
  cluster('depot-1', { tier: 'depot', region: 'eu' }),
];

/** The Assignment as the apiserver stores it: with metadata the hub never writes. */
function stored(name: string, revision = sha1): KubeObject {
  const c = stores.find((s) => s.metadata.name === name) ?? cluster(name, { tier: 'store' });
  const a = buildAssignment({
    fleetApplication: fleetApp(),
    cluster: c,
    revision,
    variables: clusterVariables(c).variables,
  });
  return {
    ...a,
    metadata: {
      ...a.metadata,
      annotations: { ...a.metadata.annotations, [pinnedAtAnnotation]: now },
      resourceVersion: '7',
      uid: `u-${name}`,
      generation: 1,
    },
    status: { sync: { status: 'Synced' } },
  };
}

describe('planAssignments', () => {
  it("writes one Assignment per selected cluster, pinned to the hub's commit, with that cluster's variables", () => {
    const plan = planAssignments({
      app: fleetApp(),
      clusters: stores,
      existing: [],
      revisionOf: () => sha1,
      now,
    });
    expect(plan.kind).toBe('ok');
    if (plan.kind !== 'ok') return;
    expect(plan.selected).toEqual(['store-1', 'store-2']);
    expect(plan.write.map((a) => a.metadata.namespace)).toEqual([
      'ballast-cluster-store-1',
      'ballast-cluster-store-2',
    ]);
    expect(plan.write.map((a) => a.spec.application.source.targetRevision)).toEqual([sha1, sha1]);
    expect(plan.write.map((a) => a.spec.variables?.['cluster_label_region'])).toEqual(['eu', 'us']);
    expect(plan.remove).toEqual([]);
  });

  it('pins each cluster to the commit the rollout gave it, keeps the pinned-at time of an unchanged pin, and writes none for a cluster given no commit yet', () => {
    const later = '2026-12-07T11:00:00Z';
    const plan = planAssignments({
      app: fleetApp(),
      clusters: stores,
      existing: [stored('store-1'), stored('store-2')],
      revisionOf: (c) => (c === 'store-1' ? sha2 : sha1),
      now: later,
    });
    expect(plan.kind === 'ok' && plan.write.map((a) => [a.spec.cluster, a.spec.revision])).toEqual([
      ['store-1', sha2],
    ]);
    expect(plan.kind === 'ok' && plan.write[0]?.metadata.annotations?.[pinnedAtAnnotation]).toBe(
      later,
    );
    const none = planAssignments({
      app: fleetApp(),
      clusters: stores,
      existing: [],
      revisionOf: (c) => (c === 'store-1' ? sha1 : undefined),
      now: later,
    });
    expect(none.kind === 'ok' && none.write.map((a) => a.spec.cluster)).toEqual(['store-1']);
    expect(none.kind === 'ok' && none.remove).toEqual([]);
  });

  it('marks an undo: the Assignment pinned to spec.rollback.revision says who asked', () => {
    const rollback = { revision: sha1, reason: 'bad', requestedBy: 'jane', requestedAt: now };
    const plan = planAssignments({
      app: fleetApp({ rollback }),
      clusters: stores,
      existing: [],
      revisionOf: (c) => (c === 'store-1' ? sha1 : sha2),
      now,
    });
    expect(plan.kind === 'ok' && plan.write.map((a) => a.spec.rollback)).toEqual([
      { requestedBy: 'jane', reason: 'bad' },
      undefined,
    ]);
  });

  it('writes nothing when every stored Assignment already holds what the hub would write', () => {
    const plan = planAssignments({
      app: fleetApp(),
      clusters: stores,
      existing: [stored('store-1'), stored('store-2')],
      revisionOf: () => sha1,
      now,
    });
    expect(plan).toMatchObject({ kind: 'ok', write: [], remove: [] });
  });

  it('rewrites every Assignment when the pinned commit moves', () => {
    const plan = planAssignments({
      app: fleetApp(),
      clusters: stores,
      existing: [stored('store-1'), stored('store-2')],
      revisionOf: () => sha2,
      now,
    });
    expect(plan.kind === 'ok' ? plan.write.map((a) => a.spec.revision) : []).toEqual([sha2, sha2]);
  });

  it('deletes the Assignment of a cluster whose label change took it out of placement, and of a cluster that is gone', () => {
    const relabelled = [cluster('store-1', { tier: 'depot' }), stores[1], stores[2]].flatMap((c) =>
      c === undefined ? [] : [c],
    );
    const plan = planAssignments({
      app: fleetApp(),
      clusters: relabelled,
      existing: [stored('store-1'), stored('store-2'), stored('store-9')],
      revisionOf: () => sha1,
      now,
    });
    expect(plan.kind === 'ok' ? plan.remove.map((a) => a.metadata.namespace) : []).toEqual([
      'ballast-cluster-store-1',
      'ballast-cluster-store-9',
    ]);
    expect(plan.kind === 'ok' ? plan.write : undefined).toEqual([]);
  });

  it('selects nothing, and deletes what it had, when the selector matches no cluster; that is not an error', () => {
    const plan = planAssignments({
      app: fleetApp({ placement: { clusterSelector: { matchLabels: { tier: 'moon' } } } }),
      clusters: stores,
      existing: [stored('store-1')],
      revisionOf: () => sha1,
      now,
    });
    expect(plan).toMatchObject({ kind: 'ok', selected: [], write: [], missing: [] });
    expect(plan.kind === 'ok' ? plan.remove.length : -1).toBe(1);
  });

  it('reports names in clusterNames that no Cluster has, and writes nothing for them', () => {
    const plan = planAssignments({
      app: fleetApp({ placement: { clusterNames: ['depot-1', 'ghost'] } }),
      clusters: stores,
      existing: [],
      revisionOf: () => sha1,
      now,
    });
    expect(plan).toMatchObject({ kind: 'ok', selected: ['depot-1'], missing: ['ghost'] });
    expect(plan.kind === 'ok' ? plan.write.map((a) => a.spec.cluster) : []).toEqual(['depot-1']);
  });

  it('reports the variables two keys of one cluster collide on, naming the cluster', () => {
    const plan = planAssignments({
      app: fleetApp(),
      clusters: [cluster('store-1', { tier: 'store', 'a-b': '1', 'a.b': '2' })],
      existing: [],
      revisionOf: () => sha1,
      now,
    });
    expect(plan.kind === 'ok' ? plan.collisions : []).toEqual([
      { cluster: 'store-1', variable: 'cluster_label_a_b', sources: ['label a-b', 'label a.b'] },
    ]);
  });
});
