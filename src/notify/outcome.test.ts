import { describe, expect, it } from 'vitest';
import { occurrenceOf, outcomeOf } from './outcome.js';

describe('outcomeOf', () => {
  it.each([
    [{ type: 'Normal', reason: 'Synced' }, 'SyncSucceeded'],
    [{ type: 'Warning', reason: 'Drifted' }, 'DriftDetected'],
    [{ type: 'Normal', reason: 'DriftReverted' }, 'DriftReverted'],
    [{ type: 'Warning', reason: 'RolloutHalted' }, 'RolloutHalted'],
    [{ type: 'Warning', reason: 'HealthDegraded' }, 'HealthDegraded'],
    [{ type: 'Warning', reason: 'RenderFailed' }, 'SyncFailed'],
    [{ type: 'Warning', reason: 'UnsignedCommit', refused: true }, 'CommitRefused'],
  ] as const)('%o is %s', (a, want) => {
    expect(outcomeOf(a)).toBe(want);
  });

  it.each([
    { type: 'Normal', reason: 'SecretRotated' },
    { type: 'Normal', reason: 'RolloutStarted' },
    { type: 'Warning', reason: 'LargeCommit' },
    { type: 'Normal', reason: 'toString' },
  ] as const)('%o is no outcome', (a) => {
    expect(outcomeOf(a)).toBeUndefined();
  });
});

describe('occurrenceOf', () => {
  it('carries the subject, its labels and the full revision', () => {
    const o = occurrenceOf(
      {
        involved: {
          apiVersion: 'ballast.dev/v1alpha1',
          kind: 'Application',
          metadata: { name: 'web', namespace: 'team-a', labels: { tier: 'front' } },
        },
        type: 'Normal',
        reason: 'Synced',
        message: 'applied revision 0123456789ab: 2 object(s) changed',
        revision: '0123456789abcdef0123456789abcdef01234567',
        health: 'Healthy',
      },
      new Date('2026-12-07T23:00:00.123Z'),
    );
    expect(o).toMatchObject({
      outcome: 'SyncSucceeded',
      namespace: 'team-a',
      name: 'web',
      labels: { tier: 'front' },
      revision: '0123456789abcdef0123456789abcdef01234567',
      health: 'Healthy',
      time: '2026-12-07T23:00:00Z',
    });
  });
});
