import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.js';
import { assignmentWake } from './wake.js';

const stored = (generation: number, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Assignment',
  metadata: {
    name: 'shop.web',
    namespace: 'ballast-cluster-store-1',
    generation,
    labels: { 'ballast.dev/cluster': 'store-1' },
    annotations: { 'ballast.dev/pinned-at': '2026-12-07T10:00:00Z' },
    ...extra,
  },
});

describe('assignmentWake', () => {
  it('waits a little for an agent status report: the generation and metadata did not move', () => {
    expect(assignmentWake('MODIFIED', stored(2), stored(2))).toBe('soon');
  });

  it("waits a little for the hub's own write coming back through the watch, or an older event", () => {
    expect(assignmentWake('MODIFIED', stored(3), stored(2))).toBe('soon');
  });

  it('acts now on a new spec, a creation, a deletion or a deletion begun', () => {
    expect(assignmentWake('MODIFIED', stored(2), stored(3))).toBe('now');
    expect(assignmentWake('ADDED', undefined, stored(1))).toBe('now');
    expect(assignmentWake('DELETED', stored(2), stored(2))).toBe('now');
    const deleting = stored(2, { deletionTimestamp: '2026-12-07T10:01:00Z' });
    expect(assignmentWake('MODIFIED', stored(2), deleting)).toBe('now');
  });

  it('acts now when someone edits its labels or annotations, which the hub owns', () => {
    expect(assignmentWake('MODIFIED', stored(2), stored(2, { labels: {} }))).toBe('now');
    const moved = stored(2, { annotations: { 'ballast.dev/pinned-at': 'x' } });
    expect(assignmentWake('MODIFIED', stored(2), moved)).toBe('now');
  });
});
