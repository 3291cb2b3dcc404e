import { describe, expect, it } from 'vitest';
import type { Application } from '../api/application.js';
import type { AppSummary } from './api.js';
import { filterApps, parseAppListQuery, summaryOf } from './apps.js';
import { UiHttpError } from './http.js';

const row = (ns: string, name: string, over: Partial<AppSummary> = {}): AppSummary => ({
  namespace: ns,
  name,
  labels: {},
  sync: 'Synced',
  health: 'Healthy',
  suspended: false,
  ...over,
});

describe('the Applications view on the server', () => {
  const rows = [
    row('b', 'two', { sync: 'OutOfSync', health: 'Degraded', readyMessage: 'image pull failed' }),
    row('a', 'one', { revision: 'abc123', signer: 'Jane <jane@example.com>' }),
    row('a', 'three', { health: 'Progressing' }),
  ];

  it('filters by sync and health, counts the matches by status before paging, and sorts by namespace and name', () => {
    const list = filterApps(rows, { sync: 'Synced', limit: 1 });
    expect(list.total).toBe(2);
    expect(list.items.map((a) => a.name)).toEqual(['one']);
    expect(list.counts).toEqual({ sync: { Synced: 2 }, health: { Healthy: 1, Progressing: 1 } });
    expect(filterApps(rows, { sync: 'Synced', offset: 1 }).items.map((a) => a.name)).toEqual([
      'three',
    ]);
  });

  it('matches free text against namespace/name, revision, signer and the Ready message', () => {
    const names = (q: string): string[] => filterApps(rows, { q }).items.map((a) => a.name);
    expect(names('a/th')).toEqual(['three']);
    expect(names('ABC1')).toEqual(['one']);
    expect(names('jane@')).toEqual(['one']);
    expect(names('pull')).toEqual(['two']);
  });

  it('refuses a sync or health outside their sets and a limit over 500 with 400', () => {
    const bad = (q: string): unknown => {
      try {
        return parseAppListQuery(new URLSearchParams(q));
      } catch (e) {
        return e instanceof UiHttpError ? e.status : e;
      }
    };
    expect(bad('sync=Bogus')).toBe(400);
    expect(bad('health=Fine')).toBe(400);
    expect(bad('limit=501')).toBe(400);
    expect(bad('namespace=Not_A_Name')).toBe(400);
    expect(bad('sync=OutOfSync&limit=20&q=%20x%20')).toEqual({
      sync: 'OutOfSync',
      limit: 20,
      q: 'x',
    });
  });

  it('reads a row from the status alone, naming the signer only of the revision verified', () => {
    const app = {
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'web', namespace: 'shop', labels: { team: 'a' } },
      spec: {},
      status: {
        sync: { status: 'Synced', revision: 'f'.repeat(40) },
        health: { status: 'Healthy', message: '' },
        verification: { revision: 'e'.repeat(40), signer: 'old signer' },
        history: [{ id: 1, revision: 'f'.repeat(40), time: '2026-01-01T00:00:00Z' }],
      },
    } as unknown as Application;
    expect(summaryOf(app)).toEqual({
      namespace: 'shop',
      name: 'web',
      labels: { team: 'a' },
      sync: 'Synced',
      health: 'Healthy',
      revision: 'f'.repeat(40),
      lastSyncTime: '2026-01-01T00:00:00Z',
      suspended: false,
    });
  });
});
