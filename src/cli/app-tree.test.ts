import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { assessHealth } from '../health/index.js';
import { buildTree, treeTable } from './app-tree.js';

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
    ...(owner === undefined ? {} : { ownerReferences: [{ uid: owner, kind: 'x', name: 'x' }] }),
  },
});

const healthy = { status: 'Healthy', message: 'fine' } as const;

describe('ballast app tree', () => {
  it('hangs ReplicaSets under their Deployment and Pods under their ReplicaSet', () => {
    const deploy = obj('apps/v1', 'Deployment', 'web', 'd1');
    const cm = obj('v1', 'ConfigMap', 'greeting', 'c1');
    const owned = [
      obj('v1', 'Pod', 'web-abc-1', 'p1', 'r1'),
      obj('apps/v1', 'ReplicaSet', 'web-abc', 'r1', 'd1'),
      obj('v1', 'Pod', 'other', 'p9', 'r9'),
    ];
    const nodes = buildTree(
      [
        { object: cm, sync: 'Synced', health: healthy },
        { object: deploy, sync: 'OutOfSync', health: healthy },
      ],
      owned,
      () => healthy,
    );
    const text = treeTable(
      { name: 'Application.ballast.dev/shop/web', sync: 'OutOfSync', health: healthy },
      nodes,
    );
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+SYNC\s+HEALTH\s+MESSAGE$/),
      expect.stringMatching(/^Application\.ballast\.dev\/shop\/web\s+OutOfSync\s+Healthy\s+fine$/),
      expect.stringMatching(/^├── ConfigMap\/shop\/greeting\s+Synced\s+Healthy$/),
      expect.stringMatching(/^└── Deployment\.apps\/shop\/web\s+OutOfSync\s+Healthy$/),
      expect.stringMatching(/^ {4}└── ReplicaSet\.apps\/shop\/web-abc\s+-\s+Healthy$/),
      expect.stringMatching(/^ {8}└── Pod\/shop\/web-abc-1\s+-\s+Healthy$/),
    ]);
  });

  it('shows a missing managed object as Missing with its reason, and survives an owner cycle', () => {
    const a = obj('v1', 'ConfigMap', 'a', 'u1', 'u2');
    const b = obj('v1', 'ConfigMap', 'b', 'u2', 'u1');
    const missing = obj('v1', 'Service', 'gone', 'u3');
    const nodes = buildTree(
      [
        { object: a, sync: 'Synced', health: healthy },
        { object: missing, sync: 'OutOfSync', health: assessHealth(undefined) },
      ],
      [a, b],
      () => healthy,
    );
    const text = treeTable({ name: 'app', sync: 'OutOfSync', health: healthy }, nodes);
    expect(text).toMatch(
      /└── Service\/shop\/gone\s+OutOfSync\s+Missing\s+not found in the cluster/,
    );
    expect(text.split('\n').filter((l) => l.includes('ConfigMap/shop/a'))).toHaveLength(2);
  });
});
