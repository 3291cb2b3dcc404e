import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseCluster, type Cluster, type ClusterStatus } from './cluster.js';
import type { Counts } from './counts.js';

const cluster = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'store-0042', namespace: 'ballast-fleet', labels: { region: 'eu' } },
  ...over,
});

function problems(input: unknown): string[] {
  const r = parseCluster(input);
  if (r.kind === 'ok') throw new Error('expected the Cluster to be refused');
  return [...r.error.problems];
}

describe('parseCluster', () => {
  it('accepts a Cluster with no spec and fills in the 60 s heartbeat timeout', () => {
    const r = parseCluster(cluster());
    expect(r.kind === 'ok' && r.value.spec).toEqual({ heartbeatTimeout: '60s' });
  });

  it('accepts the status the hub and agent write, and keeps it', () => {
    const status = {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'HeartbeatMissed',
          message: 'no Lease renewal for 75s (timeout 60s)',
          lastTransitionTime: '2025-05-12T09:14:03Z',
        },
      ],
      registered: true,
      registeredAt: '2025-05-12T09:00:00Z',
      agentVersion: '0.1.0',
      kubernetesVersion: 'v1.33.1',
      lastHeartbeatTime: '2025-05-12T09:12:48Z',
      apps: {
        total: 2,
        sync: { synced: 1, outOfSync: 1, unknown: 0 },
        health: { healthy: 1, suspended: 0, progressing: 0, unknown: 0, missing: 0, degraded: 1 },
      },
    };
    const r = parseCluster(cluster({ status }));
    expect(r.kind === 'ok' && r.value.status).toEqual(status);
  });

  it('refuses a name too long for its hub namespace ballast-cluster-<name>, saying why', () => {
    expect(problems(cluster({ metadata: { name: 'a'.repeat(48) } }))).toEqual([
      "metadata.name: a Cluster's name is a DNS label of at most 47 characters, so that its hub namespace ballast-cluster-<name> is a DNS label too",
    ]);
    expect(parseCluster(cluster({ metadata: { name: 'a'.repeat(47) } })).kind).toBe('ok');
    expect(problems(cluster({ metadata: { name: 'Store.1' } }))).toHaveLength(1);
  });

  it('names the field path of a bad timeout and a bad status', () => {
    expect(
      problems(
        cluster({
          spec: { heartbeatTimeout: '1s' },
          status: { conditions: [{ type: 'Healthy' }], apps: { total: -1 } },
        }),
      ),
    ).toEqual([
      'spec.heartbeatTimeout: must be at least 5s',
      'status.conditions[0].type: expected one of Ready',
      'status.conditions[0].status: required',
      'status.conditions[0].reason: required',
      'status.conditions[0].message: required',
      'status.conditions[0].lastTransitionTime: required',
      'status.apps.total: must be at least 0',
      'status.apps.sync: required',
      'status.apps.health: required',
    ]);
  });

  it('infers counts of the same shape the aggregate computes', () => {
    expectTypeOf<NonNullable<ClusterStatus['apps']>>().toEqualTypeOf<Counts>();
    expectTypeOf<Cluster['spec']['heartbeatTimeout']>().toEqualTypeOf<string>();
  });
});
