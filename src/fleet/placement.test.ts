import { describe, expect, it } from 'vitest';
import { selectClusters } from './placement.js';
import { cluster } from './testdata/fixtures.js';

const fleet = [
  cluster('store-2', { tier: 'store', region: 'eu' }),
  cluster('store-1', { tier: 'store', region: 'us' }),
  cluster('lab', { tier: 'lab', region: 'eu' }),
  cluster('dc-10', { region: 'eu' }),
];

describe('selectClusters', () => {
  it('selects the clusters a selector matches, sorted by name', () => {
    expect(selectClusters({ clusterSelector: { matchLabels: { region: 'eu' } } }, fleet)).toEqual({
      kind: 'ok',
      names: ['dc-10', 'lab', 'store-2'],
      missing: [],
    });
  });

  it('adds clusters named explicitly to those the selector matches, once each', () => {
    const r = selectClusters(
      {
        clusterSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['store'] }] },
        clusterNames: ['lab', 'store-1'],
      },
      fleet,
    );
    expect(r).toEqual({ kind: 'ok', names: ['lab', 'store-1', 'store-2'], missing: [] });
  });

  it('selects every cluster with an empty selector, and none with no selector and no names', () => {
    expect(selectClusters({ clusterSelector: {} }, fleet)).toMatchObject({
      names: ['dc-10', 'lab', 'store-1', 'store-2'],
    });
    expect(selectClusters({}, fleet)).toEqual({ kind: 'ok', names: [], missing: [] });
  });

  it('gives an empty list, not an error, for a selector that matches nothing', () => {
    expect(selectClusters({ clusterSelector: { matchLabels: { region: 'mars' } } }, fleet)).toEqual(
      {
        kind: 'ok',
        names: [],
        missing: [],
      },
    );
  });

  it('reports a named cluster that does not exist as missing, and does not select it', () => {
    expect(selectClusters({ clusterNames: ['store-9', 'lab'] }, fleet)).toEqual({
      kind: 'ok',
      names: ['lab'],
      missing: ['store-9'],
    });
  });

  it('excludes clusters by NotIn and DoesNotExist, keeping those without the label for NotIn', () => {
    const r = selectClusters(
      {
        clusterSelector: {
          matchExpressions: [
            { key: 'tier', operator: 'NotIn', values: ['lab'] },
            { key: 'region', operator: 'Exists' },
          ],
        },
      },
      fleet,
    );
    expect(r).toMatchObject({ names: ['dc-10', 'store-1', 'store-2'] });
  });

  it('names the field path of an invalid selector instead of selecting', () => {
    const r = selectClusters(
      {
        clusterSelector: {
          matchExpressions: [{ key: 'tier', operator: 'DoesNotExist', values: ['x'] }],
        },
      },
      fleet,
    );
    expect(r).toEqual({
      kind: 'invalid',
      problems: [
        'spec.placement.clusterSelector.matchExpressions[0].values: must be empty for DoesNotExist',
      ],
    });
  });
});
