import { describe, expect, it } from 'vitest';
import { clusterVariables, normaliseKey } from './variables.js';
import { cluster, fleetApp } from './testdata/fixtures.js';

describe('clusterVariables', () => {
  it('gives cluster_name, and a cluster_label_ and cluster_annotation_ variable per key, normalised', () => {
    const c = cluster(
      'store-1',
      { region: 'eu', 'topology.kubernetes.io/zone': 'eu-1a', Tier: 'Edge' },
      { 'example.com/owner': 'team-pos' },
    );
    expect(clusterVariables(c)).toEqual({
      variables: {
        cluster_annotation_example_com_owner: 'team-pos',
        cluster_label_Tier: 'Edge',
        cluster_label_region: 'eu',
        cluster_label_topology_kubernetes_io_zone: 'eu-1a',
        cluster_name: 'store-1',
      },
      collisions: [],
    });
  });

  it('leaves a variable unset and reports both keys when two label keys normalise to one name', () => {
    const c = cluster('store-1', { 'a-b': '1', 'a.b': '2', a_c: '3', 'a.c': '4', 'a/d': '5' });
    const r = clusterVariables(c);
    expect(r.variables).toEqual({ cluster_label_a_d: '5', cluster_name: 'store-1' });
    expect(r.collisions).toEqual([
      { variable: 'cluster_label_a_b', sources: ['label a-b', 'label a.b'] },
      { variable: 'cluster_label_a_c', sources: ['label a.c', 'label a_c'] },
    ]);
  });

  it("skips kubectl's last-applied-configuration annotation, a copy of the whole object", () => {
    const c = cluster('s', {}, { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":1}' });
    expect(clusterVariables(c).variables).toEqual({ cluster_name: 's' });
  });

  it('applies values entries whose selector matches the cluster, a later entry winning', () => {
    const app = fleetApp({
      values: [
        { clusterSelector: {}, variables: { replicas: '2', tier: 'default' } },
        { clusterSelector: { matchLabels: { size: 'large' } }, variables: { replicas: '4' } },
        { clusterSelector: { matchLabels: { region: 'us' } }, variables: { replicas: '8' } },
      ],
    });
    const values = app.spec.values ?? [];
    expect(clusterVariables(cluster('a', { size: 'large' }), values).variables).toEqual({
      cluster_label_size: 'large',
      cluster_name: 'a',
      replicas: '4',
      tier: 'default',
    });
    expect(
      clusterVariables(cluster('b', { size: 'large', region: 'us' }), values).variables['replicas'],
    ).toBe('8');
    expect(clusterVariables(cluster('c'), values).variables['replicas']).toBe('2');
  });

  it("never lets a values entry override the Cluster's own variables", () => {
    // The parser refuses cluster_ names; an entry that slipped past it is still ignored.
    const values = [{ clusterSelector: {}, variables: { cluster_name: 'spoofed', ok: 'yes' } }];
    expect(clusterVariables(cluster('real'), values).variables).toEqual({
      cluster_name: 'real',
      ok: 'yes',
    });
  });

  it('keeps a label named __proto__ as an ordinary variable', () => {
    const labels = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    const r = clusterVariables(cluster('s', labels));
    expect(Object.keys(r.variables)).toEqual(['cluster_label___proto__', 'cluster_name']);
  });
});

describe('normaliseKey', () => {
  it('replaces every character outside A-Z, a-z, 0-9 and _ by _, keeping case', () => {
    expect(normaliseKey('app.kubernetes.io/Name-x_1')).toBe('app_kubernetes_io_Name_x_1');
  });
});
