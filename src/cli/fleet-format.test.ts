import { describe, expect, it } from 'vitest';
import type { Cluster as FleetCluster, FleetApplication } from '../fleet/index.js';
import { cluster, fleetApp, sha1 } from '../fleet/testdata/fixtures.js';
import {
  appsText,
  clusterTable,
  fleetAppTable,
  labelsText,
  lastSeen,
  nameLines,
  printable,
  safeJson,
  safeYaml,
} from './fleet-format.js';
import { parse } from 'yaml';

const now = Date.parse('2026-12-07T12:00:00Z');
const ready = (status: 'True' | 'False', reason: string, message: string) => ({
  type: 'Ready' as const,
  status,
  reason,
  message,
  lastTransitionTime: '2026-12-07T11:00:00Z',
});

function pos(namespace: string, status: FleetApplication['status']): FleetApplication {
  const a = fleetApp({}, { namespace, creationTimestamp: '2026-12-07T09:00:00Z' });
  return status === undefined ? a : { ...a, status };
}

const summary = (total: number, synced: number, healthy: number, failing: number) => ({
  total,
  sync: { synced, outOfSync: total - synced, unknown: 0 },
  health: {
    healthy,
    suspended: 0,
    progressing: 0,
    unknown: 0,
    missing: 0,
    degraded: total - healthy,
  },
  failing,
});

describe('ballast fleet list', () => {
  const apps = [
    pos('retail', {
      revision: sha1,
      summary: summary(4, 3, 3, 1),
      conditions: [ready('False', 'ClustersFailing', '1 of 4 clusters is failing: store-4')],
    }),
    pos('new', undefined),
  ];

  it("prints the CRD's printer columns with a short revision, as kubectl get does", () => {
    expect(fleetAppTable(apps, { withNamespace: false, width: 'normal', now })).toBe(
      [
        'NAME   CLUSTERS   SYNCED   HEALTHY   REVISION       READY   AGE',
        'pos    4          3        3         aaaaaaaaaaaa   False   3h',
        'pos                                                         3h',
      ].join('\n'),
    );
  });

  it('adds FAILING and MESSAGE with -o wide, and NAMESPACE first with -A', () => {
    expect(fleetAppTable(apps, { withNamespace: true, width: 'wide', now })).toBe(
      [
        'NAMESPACE   NAME   CLUSTERS   SYNCED   HEALTHY   FAILING   REVISION       READY   MESSAGE                               AGE',
        'retail      pos    4          3        3         1         aaaaaaaaaaaa   False   1 of 4 clusters is failing: store-4   3h',
        'new         pos                                                                                                         3h',
      ].join('\n'),
    );
  });

  it('prints -o name as kubectl does', () => {
    expect(nameLines('FleetApplication', apps)).toBe(
      'fleetapplication.ballast.dev/pos\nfleetapplication.ballast.dev/pos',
    );
  });
});

function store(
  name: string,
  labels: Record<string, string>,
  status: FleetCluster['status'],
): FleetCluster {
  const c = cluster(name, labels);
  return {
    ...c,
    metadata: { ...c.metadata, creationTimestamp: '2026-12-05T12:00:00Z' },
    ...(status === undefined ? {} : { status }),
  };
}

describe('ballast fleet clusters', () => {
  const clusters = [
    store(
      'store-1',
      { tier: 'store', region: 'eu' },
      {
        conditions: [ready('True', 'HeartbeatRenewed', 'the agent renewed its Lease')],
        agentVersion: '0.9.0',
        kubernetesVersion: 'v1.36.3',
        lastHeartbeatTime: '2026-12-07T11:59:48Z',
        apps: summary(4, 3, 4, 0),
      },
    ),
    store('store-2', {}, undefined),
  ];

  it('prints NAME READY LABELS AGENT LAST-SEEN APPS, a cluster never seen as <never>', () => {
    expect(clusterTable(clusters, { width: 'normal', now })).toBe(
      [
        'NAME      READY   LABELS                 AGENT   LAST-SEEN   APPS',
        'store-1   True    region=eu,tier=store   0.9.0   12s         3/4 synced, 4/4 healthy',
        'store-2           <none>                         <never>',
      ].join('\n'),
    );
  });

  it("adds the spoke's Kubernetes version, the Ready message and the age with -o wide", () => {
    const [header, first] = clusterTable(clusters, { width: 'wide', now }).split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAME',
      'READY',
      'LABELS',
      'AGENT',
      'K8S',
      'LAST-SEEN',
      'APPS',
      'MESSAGE',
      'AGE',
    ]);
    expect(first?.split(/\s{2,}/)).toEqual([
      'store-1',
      'True',
      'region=eu,tier=store',
      '0.9.0',
      'v1.36.3',
      '12s',
      '3/4 synced, 4/4 healthy',
      'the agent renewed its Lease',
      '2d',
    ]);
  });

  it('counts apps apart by sync and by health, and a cluster with none as 0', () => {
    expect(appsText(summary(0, 0, 0, 0))).toBe('0');
    expect(appsText(summary(2, 2, 2, 0))).toBe('2/2 synced, 2/2 healthy');
    expect(appsText(undefined)).toBe('');
    expect(labelsText({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(lastSeen('2026-12-07T09:00:00Z', now)).toBe('3h');
    expect(lastSeen('not a time', now)).toBe('<unknown>');
  });
});

describe('printable', () => {
  it("an agent's message carrying terminal escape sequences is printed inert, on one line", () => {
    const hostile = 'failed\x1b]0;pwned\x07\x1b[2J\ncleared\u202eevil\x9b31m';
    expect(printable(hostile)).toBe(
      'failed\\u001b]0;pwned\\u0007\\u001b[2J cleared\\u202eevil\\u009b31m',
    );
    const table = fleetAppTable(
      [pos('retail', { conditions: [ready('False', 'Stalled', hostile)] })],
      { withNamespace: false, width: 'wide', now },
    );
    const controls = Array.from(table).filter((c) => {
      const code = c.codePointAt(0) ?? 0;
      return (code < 0x20 && c !== '\n') || (code >= 0x7f && code <= 0x9f) || code === 0x202e;
    });
    expect(controls).toEqual([]);
    expect(table.split('\n')).toHaveLength(2);
  });
});

describe('-o json and -o yaml', () => {
  it('escape what a terminal could act on, and parse back to the same data', () => {
    const data = {
      message: `bad\x1b[2J\u009b31m\u202etxt ${'long '.repeat(30)}`,
      ['key\u2066']: ['plain', 3],
    };
    for (const [text, back] of [
      [safeJson(data), (t: string): unknown => JSON.parse(t)],
      [safeYaml(data), (t: string): unknown => parse(t)],
    ] as const) {
      const raw = Array.from(text).filter((c) => {
        const code = c.codePointAt(0) ?? 0;
        return (code < 0x20 && c !== '\n') || (code >= 0x7f && code <= 0x9f) || code > 0x2000;
      });
      expect(raw).toEqual([]);
      expect(back(text)).toEqual(data);
    }
  });
});
