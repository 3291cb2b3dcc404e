import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { APPLICATION_ID_ANNOTATION } from '../api/tracking.js';
import { diffRelist, recordChange, Relist, trackingLabel, type WatchCache } from './watch-cache.js';
import { formatCacheKey } from './watch-key.js';

const kind = { apiVersion: 'v1', kind: 'ConfigMap' };
const cm = (name: string, rv: string, app = 'apps.web', ns = 'prod'): KubeObject => ({
  ...kind,
  metadata: { name, namespace: ns, resourceVersion: rv, labels: { [trackingLabel]: app } },
  data: { big: 'x'.repeat(100) },
});

function cacheOf(...objs: KubeObject[]): WatchCache {
  const cache: WatchCache = new Map();
  for (const o of objs) recordChange(cache, { type: 'ADDED', object: o });
  return cache;
}

describe('diffRelist', () => {
  it('reports only what changed or vanished since the last known state', () => {
    const cache = cacheOf(cm('same', '1'), cm('changed', '2'), cm('gone', '3', 'apps.db'));
    const changes = diffRelist(cache, [cm('same', '1'), cm('changed', '5'), cm('new', '6')], kind);
    expect(changes.map((c) => [c.type, c.object.metadata.name])).toEqual([
      ['MODIFIED', 'changed'],
      ['ADDED', 'new'],
      ['DELETED', 'gone'],
    ]);
    // The full object goes to the consumer; the cache keeps only version and owner.
    expect(changes[0]?.object.data).toEqual({ big: 'x'.repeat(100) });
    expect([...cache.entries()].sort()).toEqual([
      ['prod/changed', { resourceVersion: '5', application: 'apps.web' }],
      ['prod/new', { resourceVersion: '6', application: 'apps.web' }],
      ['prod/same', { resourceVersion: '1', application: 'apps.web' }],
    ]);
  });

  it('gives a vanished object a tombstone naming its owner', () => {
    const cache = cacheOf(cm('gone', '3', 'apps.db'), cm('cluster-wide', '4', 'apps.x', ''));
    expect(diffRelist(cache, [], kind).map((c) => c.object)).toEqual([
      {
        ...kind,
        metadata: {
          name: 'gone',
          namespace: 'prod',
          resourceVersion: '3',
          labels: { [trackingLabel]: 'apps.db' },
        },
      },
      {
        ...kind,
        metadata: {
          name: 'cluster-wide',
          resourceVersion: '4',
          labels: { [trackingLabel]: 'apps.x' },
        },
      },
    ]);
    expect(cache.size).toBe(0);
  });

  it("keeps a long-named Application's identity annotation in the tombstone of its object", () => {
    const id = `${'n'.repeat(60)}/${'a'.repeat(60)}`;
    const obj = cm('gone', '3', 'hashed_0123456789abcdef');
    obj.metadata.annotations = { [APPLICATION_ID_ANNOTATION]: id, other: 'dropped' };
    const [gone] = diffRelist(cacheOf(obj), [], kind);
    expect(gone?.object.metadata.annotations).toEqual({ [APPLICATION_ID_ANNOTATION]: id });
    expect(gone?.object.metadata.labels).toEqual({ [trackingLabel]: 'hashed_0123456789abcdef' });
  });

  it('reports everything as ADDED from an empty cache and nothing on an identical relist', () => {
    const cache: WatchCache = new Map();
    expect(diffRelist(cache, [cm('a', '1'), cm('b', '2')], kind).map((c) => c.type)).toEqual([
      'ADDED',
      'ADDED',
    ]);
    expect(diffRelist(cache, [cm('a', '1'), cm('b', '2')], kind)).toEqual([]);
  });

  it('does not report a change twice when a relist is retried after failing half-way', () => {
    const cache = cacheOf(cm('a', '1'), cm('b', '1'));
    const broken = new Relist(cache, kind);
    expect(broken.see(cm('a', '2'))?.type).toBe('MODIFIED');
    // The second page never came; a new relist starts over.
    const changes = diffRelist(cache, [cm('a', '2'), cm('b', '1')], kind);
    expect(changes).toEqual([]);
  });

  it('keeps same-named objects of different namespaces apart', () => {
    const cache = cacheOf(cm('a', '1', 'x', 'one'), cm('a', '2', 'x', 'two'));
    const changes = diffRelist(cache, [cm('a', '1', 'x', 'one')], kind);
    expect(changes.map((c) => [c.type, c.object.metadata.namespace])).toEqual([['DELETED', 'two']]);
  });
});

describe('recordChange', () => {
  it('skips an event that repeats the known resourceVersion', () => {
    const cache = cacheOf(cm('a', '1'));
    expect(recordChange(cache, { type: 'MODIFIED', object: cm('a', '1') })).toBe(false);
    expect(recordChange(cache, { type: 'MODIFIED', object: cm('a', '2') })).toBe(true);
    expect(cache.get(formatCacheKey({ namespace: 'prod', name: 'a' }))?.resourceVersion).toBe('2');
  });

  it('forgets a deleted object', () => {
    const cache = cacheOf(cm('a', '1'));
    expect(recordChange(cache, { type: 'DELETED', object: cm('a', '3') })).toBe(true);
    expect(cache.size).toBe(0);
  });
});
