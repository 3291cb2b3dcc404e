import { describe, expect, it } from 'vitest';
import { appKeyOf, asAppKey, formatAppKey, parseAppKey } from './app-key.js';

describe('Application keys', () => {
  it('round-trips namespace/name, dotted names and the longest namespace and name included', () => {
    for (const id of [
      { namespace: 'shop', name: 'web' },
      { namespace: 'shop', name: 'web.v2' },
      { namespace: 'n'.repeat(63), name: `${'a'.repeat(63)}.${'b'.repeat(63)}.c` },
    ])
      expect(parseAppKey(formatAppKey(id))).toEqual(id);
    expect(appKeyOf({ metadata: { namespace: 'shop', name: 'web' } })).toBe('shop/web');
  });

  it('refuses a key with no slash, an empty or invalid part, or a second slash', () => {
    for (const bad of [
      '',
      'shop',
      '/web',
      'shop/',
      'shop/web/x',
      'Shop/web',
      'sh.op/web',
      'shop/web#x',
      'shop/-web',
      `${'n'.repeat(64)}/web`,
      `shop/${'a'.repeat(254)}`,
    ]) {
      expect(parseAppKey(bad)).toBeUndefined();
      expect(asAppKey(bad)).toBeUndefined();
    }
  });
});
