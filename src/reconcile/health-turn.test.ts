import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { announceHealthTurn, type Announcement } from './status.js';

const app: KubeObject = {
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'web', namespace: 'team-a' },
};
const revision = 'a'.repeat(40);

function heard(
  turn: Omit<Parameters<typeof announceHealthTurn>[2], 'revision' | 'message'>,
): Announcement[] {
  const got: Announcement[] = [];
  announceHealthTurn((a) => got.push(a), app, { ...turn, revision, message: '' });
  return got;
}

describe('announceHealthTurn', () => {
  it('announces a rollout left Progressing by its sync that turns Healthy, so its commit turns success', () => {
    const [a, ...rest] = heard({ before: 'Progressing', status: 'Healthy' });
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ type: 'Normal', reason: 'HealthRecovered', health: 'Healthy' });
    expect(a?.message).toBe(`healthy at ${revision.slice(0, 12)}`);
  });

  it('announces Degraded the first time, even with no health shown before', () => {
    expect(heard({ before: undefined, status: 'Degraded' })[0]?.reason).toBe('HealthDegraded');
    expect(heard({ before: 'Healthy', status: 'Degraded' })[0]?.reason).toBe('HealthDegraded');
  });

  it('stays quiet when nothing turned, when a first health is Healthy, or when it turns Progressing', () => {
    expect(heard({ before: 'Healthy', status: 'Healthy' })).toEqual([]);
    expect(heard({ before: 'Degraded', status: 'Degraded' })).toEqual([]);
    expect(heard({ before: undefined, status: 'Healthy' })).toEqual([]);
    expect(heard({ before: 'Healthy', status: 'Progressing' })).toEqual([]);
  });
});
