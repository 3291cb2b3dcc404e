import { describe, expect, it } from 'vitest';
import { inventoryOf } from './inventory.js';
import { formatInventory, inventoryText, parseInventory } from './serialize.js';
import application from './testdata/application.json' with { type: 'json' };
import configMap from './testdata/inventory-configmap.json' with { type: 'json' };

describe('inventory serialization', () => {
  it('reads the same inventory from a ConfigMap text and from an Application status', () => {
    const fromText = parseInventory(configMap.data.inventory);
    const fromStatus = parseInventory(application.status.inventory.entries);
    expect(fromText.kind).toBe('ok');
    expect(fromText).toEqual(fromStatus);
  });

  it('writes back exactly what it read: sorted, one line per entry', () => {
    const parsed = parseInventory(configMap.data.inventory);
    if (parsed.kind !== 'ok') throw parsed.error;
    expect(inventoryText(parsed.value)).toBe(configMap.data.inventory);
    expect(formatInventory(parsed.value)).toEqual(application.status.inventory.entries);
  });

  it('sorts and de-duplicates whatever order it is given', () => {
    const a = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' };
    const b = { group: '', kind: 'Namespace', namespace: '', name: 'shop' };
    expect(formatInventory(inventoryOf([a, b, a]))).toEqual([
      '|Namespace||shop',
      'apps|Deployment|shop|web',
    ]);
    expect(inventoryText(inventoryOf([]))).toBe('');
  });

  it('round-trips names with "|", "%" and a newline, which only some kinds allow', () => {
    const odd = {
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      namespace: '',
      name: 'a|b%c\nd',
    };
    const entries = formatInventory(inventoryOf([odd]));
    expect(entries).toEqual(['rbac.authorization.k8s.io|ClusterRole||a|b%25c%0Ad']);
    expect(parseInventory(inventoryText(inventoryOf([odd])))).toEqual({
      kind: 'ok',
      value: inventoryOf([odd]),
    });
  });

  it('refuses a malformed entry, naming it, rather than returning a partial inventory', () => {
    const result = parseInventory(['apps|Deployment|shop|web', 'apps|Deployment|Shop|web']);
    expect(result.kind).toBe('error');
    if (result.kind !== 'error') return;
    expect(result.error.message).toBe(
      'inventory entry 2 "apps|Deployment|Shop|web": bad namespace "Shop"',
    );
    expect(result.error.entry).toBe(2);
  });

  it.each([
    ['too few fields', ['apps|Deployment|web']],
    ['an empty kind', ['apps||shop|web']],
    ['a bad group', ['Apps|Deployment|shop|web']],
    ['an empty name', ['apps|Deployment|shop|']],
    ['a slash in the name', ['apps|Deployment|shop|a/b']],
    ['a bad escape', ['apps|Deployment|shop|a%zz']],
    ['an escape of an ordinary character', ['apps|Deployment|shop|%41']],
    ['a number', [42]],
    ['an object', { entries: [] }],
    ['an overlong entry', [`apps|Deployment|shop|${'a'.repeat(2000)}`]],
  ])('refuses %s', (_, input) => {
    expect(parseInventory(input).kind).toBe('error');
  });

  it('refuses more entries than any Application could hold', () => {
    const many = Array.from({ length: 100_001 }, (_, i) => `|ConfigMap|shop|c${i}`);
    const result = parseInventory(many);
    expect(result.kind === 'error' && result.error.message).toBe(
      'inventory: 100001 entries; at most 100000 are accepted',
    );
  });
});
