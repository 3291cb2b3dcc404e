import { describe, expect, it } from 'vitest';
import { assessHealth } from './assess.js';
import { aggregateHealth, HEALTH_ORDER, worse, type HealthStatus } from './report.js';

const ref = (kind: string, name: string) => ({ group: 'apps', kind, namespace: 'shop', name });

describe('worse', () => {
  it('orders Healthy < Suspended < Progressing < Unknown < Missing < Degraded, both ways round', () => {
    for (const [i, a] of HEALTH_ORDER.entries()) {
      for (const [j, b] of HEALTH_ORDER.entries()) {
        const expected: HealthStatus = i >= j ? a : b;
        expect(worse(a, b)).toBe(expected);
      }
    }
    expect(worse('Missing', 'Degraded')).toBe('Degraded');
    expect(worse('Unknown', 'Progressing')).toBe('Unknown');
  });
});

describe('assessHealth', () => {
  it('reports an object that is not in the cluster Missing', () => {
    expect(assessHealth(undefined)).toEqual({
      status: 'Missing',
      message: 'not found in the cluster',
    });
  });
});

describe('aggregateHealth', () => {
  it('reports an empty set Healthy', () => {
    expect(aggregateHealth([])).toEqual({ status: 'Healthy', message: '0 objects healthy' });
  });

  it('takes the worst status and names the objects in it', () => {
    const report = aggregateHealth([
      { subject: ref('Deployment', 'web'), health: { status: 'Healthy', message: 'ok' } },
      {
        subject: ref('Deployment', 'api'),
        health: { status: 'Progressing', message: '1 of 3 replicas updated' },
      },
      { subject: ref('StatefulSet', 'db'), health: { status: 'Degraded', message: 'x' } },
    ]);
    expect(report).toEqual({
      status: 'Degraded',
      message: '1 of 3 Degraded: StatefulSet.apps/shop/db: x',
    });
  });

  it('names at most three objects and counts the rest', () => {
    const items = ['a', 'b', 'c', 'd', 'e'].map((name) => ({
      subject: ref('Deployment', name),
      health: { status: 'Progressing' as const, message: 'rolling' },
    }));
    expect(aggregateHealth(items).message).toBe(
      '5 of 5 Progressing: Deployment.apps/shop/a: rolling; Deployment.apps/shop/b: rolling; Deployment.apps/shop/c: rolling; and 2 more',
    );
  });
});
