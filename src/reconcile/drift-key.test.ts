import { describe, expect, it } from 'vitest';
import { formatAppKey } from '../api/app-key.js';
import { parseRefKey, refKey } from '../api/object.js';
import { formatDriftKey, parseDriftKey } from './drift-key.js';

const app = formatAppKey({ namespace: 'shop', name: 'web.v2' });

describe('drift keys', () => {
  it('round-trip, object names holding # and | included', () => {
    for (const ref of [
      { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' },
      { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'a#b' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', namespace: '', name: 'x|y#z' },
    ]) {
      const key = formatDriftKey(app, ref);
      expect(parseDriftKey(key)).toEqual({ appKey: app, ref });
    }
    expect(
      formatDriftKey(app, { group: '', kind: 'Service', namespace: 'shop', name: 'web' }),
    ).toBe('shop/web.v2#|Service|shop|web');
  });

  it('refuse a key with no #, no valid Application key, or too few object parts', () => {
    for (const bad of [
      '',
      'shop/web',
      '#|ConfigMap|shop|web',
      'shop#|ConfigMap|shop|web',
      'Shop/web#|ConfigMap|shop|web',
      'shop/web#|ConfigMap|shop',
      'shop/web#||shop|web',
      'shop/web#|ConfigMap|shop|',
    ])
      expect(parseDriftKey(bad)).toBeUndefined();
  });
});

describe('object keys', () => {
  it('round-trip, the name taking every | after the third', () => {
    const ref = { group: '', kind: 'ConfigMap', namespace: '', name: 'a|b|c' };
    expect(parseRefKey(refKey(ref))).toEqual(ref);
    expect(parseRefKey('apps|Deployment')).toBeUndefined();
  });
});
