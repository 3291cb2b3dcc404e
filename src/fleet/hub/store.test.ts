import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/object.js';
import { ObjectStore } from './store.js';

const app = (resourceVersion: string, phase: string): KubeObject => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'FleetApplication',
  metadata: { name: 'web', namespace: 'retail', resourceVersion },
  status: { rollout: { phase } },
});

const phaseOf = (o: KubeObject | undefined): unknown =>
  (o as { status?: { rollout?: { phase?: string } } } | undefined)?.status?.rollout?.phase;

describe('ObjectStore', () => {
  it("keeps the hub's own write when a watch event from before it arrives late", () => {
    const store = new ObjectStore();
    store.record('ADDED', app('10', 'Progressing'));
    // The status the hub wrote, from its PATCH response…
    store.record('MODIFIED', app('12', 'Halted'));
    // …then the watch delivers a change made before it.
    store.record('MODIFIED', app('11', 'Progressing'));
    expect(phaseOf(store.get('retail', 'web'))).toBe('Halted');
    // The event of the write itself, and anything after, are taken.
    store.record('MODIFIED', app('12', 'Halted'));
    store.record('MODIFIED', app('13', 'Complete'));
    expect(phaseOf(store.get('retail', 'web'))).toBe('Complete');
  });

  it('takes any version it cannot compare, and forgets a deleted object', () => {
    const store = new ObjectStore();
    store.record('ADDED', app('12', 'Halted'));
    store.record('MODIFIED', app('opaque', 'Complete'));
    expect(phaseOf(store.get('retail', 'web'))).toBe('Complete');
    store.record('DELETED', app('13', 'Complete'));
    expect(store.get('retail', 'web')).toBeUndefined();
    store.record('ADDED', app('5', 'Progressing'));
    expect(phaseOf(store.get('retail', 'web'))).toBe('Progressing');
  });
});
