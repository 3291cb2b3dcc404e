import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.js';
import { age, listRows } from './app.js';

const now = Date.parse('2026-11-30T10:00:00Z');
const app = (name: string, created: string, sync?: string): Application =>
  ({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'shop', creationTimestamp: created },
    spec: {},
    ...(sync === undefined
      ? {}
      : {
          status: {
            sync: { status: sync, revision: '6c1f0e2b9d7a4c3e8f5b1a2d6e9c0f7b3a4d5e6f' },
            health: { status: 'Healthy', message: '' },
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'Synced',
                message: '',
                lastTransitionTime: created,
              },
            ],
          },
        }),
  }) as unknown as Application;

describe('ballast app list', () => {
  it('prints kubectl-style columns with a short revision and an age', () => {
    expect(
      listRows(
        [app('web', '2026-11-30T09:00:00Z', 'Synced'), app('new', '2026-11-30T09:59:30Z')],
        false,
        now,
      ),
    ).toBe(
      [
        'NAME   SYNC     HEALTH    REVISION       READY   AGE',
        'web    Synced   Healthy   6c1f0e2b9d7a   True    60m',
        'new                                              30s',
      ].join('\n'),
    );
  });
  it('writes ages in the largest whole unit, as kubectl does', () => {
    expect(age('2026-11-28T09:00:00Z', now)).toBe('2d');
    expect(age('2026-11-30T07:00:00Z', now)).toBe('3h');
    expect(age(undefined, now)).toBe('<unknown>');
  });
});
