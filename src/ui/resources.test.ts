import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { buildTree } from '../health/tree.js';
import { flattenTree, pageResources } from './resources.js';

const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  uid: string,
  owner?: string,
): KubeObject => ({
  apiVersion,
  kind,
  metadata: {
    name,
    namespace: 'shop',
    uid,
    ...(owner === undefined ? {} : { ownerReferences: [{ uid: owner }] }),
  },
});

describe('the resource tree, flattened for the browser', () => {
  const deploy = obj('apps/v1', 'Deployment', 'web', 'd1');
  const svc = obj('v1', 'Service', 'web', 's1');
  const owned = [
    obj('apps/v1', 'ReplicaSet', 'web-1', 'r1', 'd1'),
    obj('v1', 'Pod', 'web-1-b', 'p2', 'r1'),
    obj('v1', 'Pod', 'web-1-a', 'p1', 'r1'),
    obj('v1', 'Pod', 'other', 'p9', 'elsewhere'),
  ];
  const tree = buildTree(
    [
      {
        object: deploy,
        sync: 'Synced',
        health: { status: 'Progressing', message: '1 of 2 ready' },
      },
      { object: svc, sync: 'OutOfSync', health: { status: 'Healthy', message: '' } },
    ],
    owned,
    (o) => ({ status: o.kind === 'Pod' ? 'Degraded' : 'Healthy', message: 'why' }),
  );
  const rows = flattenTree(tree);

  it('lists Application → objects → ReplicaSets → Pods depth first, each naming its parent', () => {
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.kind}/${r.name}`)).toEqual([
      'Deployment/web',
      '  ReplicaSet/web-1',
      '    Pod/web-1-a',
      '    Pod/web-1-b',
      'Service/web',
    ]);
    expect(rows[0]).toMatchObject({ key: 'apps|Deployment|shop|web', sync: 'Synced' });
    expect(rows[0]?.parent).toBeUndefined();
    expect(rows[2]).toMatchObject({ parent: 'apps|ReplicaSet|shop|web-1', health: 'Degraded' });
    expect(rows[2]?.sync).toBeUndefined();
    expect(rows[4]?.healthMessage).toBeUndefined();
  });

  it('counts every row by health, and pages the rows matching the search', () => {
    const page = pageResources(rows, { q: 'pod/', limit: 1, offset: 1 });
    expect(page.total).toBe(2);
    expect(page.items.map((r) => r.name)).toEqual(['web-1-b']);
    expect(page.counts).toEqual({ Progressing: 1, Healthy: 2, Degraded: 2 });
  });
});
