import { describe, expect, it } from 'vitest';
import { formatCacheKey, formatWatchKey, parseCacheKey, parseWatchKey } from './watch-key.js';

describe('watch keys', () => {
  it('round-trips a kind, the core group (empty) and a dotted group included', () => {
    for (const kind of [
      { group: '', version: 'v1', kind: 'ConfigMap' },
      { group: 'apps', version: 'v1', kind: 'Deployment' },
      { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' },
    ])
      expect(parseWatchKey(formatWatchKey(kind))).toEqual(kind);
    expect(formatWatchKey({ group: '', version: 'v1', kind: 'Pod' })).toBe('/v1/Pod');
  });

  it('refuses a key that is not group/version/kind', () => {
    for (const bad of ['', 'v1', 'apps/v1', 'apps/v1/Deployment/x', 'apps//Deployment', 'apps/v1/'])
      expect(parseWatchKey(bad)).toBeUndefined();
  });
});

describe('cache keys', () => {
  it('round-trips namespaced and cluster-scoped objects, dots and colons in names included', () => {
    for (const id of [
      { namespace: 'prod', name: 'web' },
      { namespace: '', name: 'system:controller:web.v2' },
    ])
      expect(parseCacheKey(formatCacheKey(id))).toEqual(id);
    expect(formatCacheKey({ namespace: '', name: 'cluster-wide' })).toBe('/cluster-wide');
  });

  it('refuses a key that is not namespace/name', () => {
    for (const bad of ['', 'web', 'prod/', 'a/b/c']) expect(parseCacheKey(bad)).toBeUndefined();
  });
});
