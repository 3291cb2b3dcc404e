import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { formatTrigger, parseTrigger, triggerOf, triggerPartsOf } from './trigger.js';

const app = (
  annotations: Record<string, string>,
  extra: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'web', namespace: 'shop', generation: 3, annotations, ...extra },
});

describe('triggers', () => {
  it('round-trip, separators in the annotation values included', () => {
    const parts = { generation: '3', refresh: 'a|b', sync: '"|]', deleting: true };
    expect(parseTrigger(formatTrigger(parts))).toEqual(parts);
    expect(triggerPartsOf(app({ 'ballast.dev/refresh': 'now' }))).toEqual({
      generation: '3',
      refresh: 'now',
      sync: '',
      deleting: false,
    });
  });

  it('tell apart annotation values that a separator-joined string would confuse', () => {
    // Joined with `|`, both were "3|x|||": moving the `|` from one annotation to the other
    // was no change, and the Application was not reconciled.
    const a = app({ 'ballast.dev/refresh': 'x|', 'ballast.dev/sync': '' });
    const b = app({ 'ballast.dev/refresh': 'x', 'ballast.dev/sync': '|' });
    expect(triggerOf(a)).not.toBe(triggerOf(b));
    expect(triggerOf(app({}))).not.toBe(triggerOf(app({}, { deletionTimestamp: 'now' })));
  });

  it('refuse what formatTrigger never builds', () => {
    for (const bad of ['', '3|x||', '[]', '["3","","",1]', '{"generation":"3"}', '["3","",""]'])
      expect(parseTrigger(bad)).toBeUndefined();
  });
});
