import { describe, expect, it } from 'vitest';
import { parseSetFlag } from './values.js';

describe('parseSetFlag', () => {
  it('sets a nested value from a dotted key, typing numbers and booleans like helm', () => {
    let v = parseSetFlag('controller.replicaCount=2', {});
    v = parseSetFlag('controller.admissionWebhooks.enabled=false', v);
    v = parseSetFlag('controller.image.tag=v1.2.3', v);
    expect(v).toEqual({
      controller: {
        replicaCount: 2,
        admissionWebhooks: { enabled: false },
        image: { tag: 'v1.2.3' },
      },
    });
  });
  it('refuses a flag without a key', () => {
    expect(() => parseSetFlag('=3', {})).toThrow('expected key=value');
  });
});
