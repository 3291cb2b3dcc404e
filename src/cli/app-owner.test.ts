import { describe, expect, it } from 'vitest';
import { formatAppKey } from '../api/app-key.js';
import type { HttpResponse } from '../cluster/http.js';
import type { Lease, LeaseHttp } from '../reconcile/lease.js';
import { formatMicroTime } from '../reconcile/microtime.js';
import { shardOf } from '../reconcile/shard.js';
import { describeOwner, ownerOf } from './app-owner.js';

const key = formatAppKey({ namespace: 'team', name: 'web' });

/** Answers the one LIST with these Leases, or with `status`. */
function leases(items: Lease[], status = 200): LeaseHttp {
  return {
    request: (): Promise<HttpResponse> =>
      Promise.resolve({ status, body: JSON.stringify(status === 200 ? { items } : {}) }),
  };
}

function shardLease(i: number, holder: string, renewedAgoMs: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: `ballast-controller-shard-${i}`,
      namespace: 'ballast-system',
      labels: { 'ballast.dev/shards': '16' },
    },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 15,
      renewTime: formatMicroTime(Date.now() - renewedAgoMs),
    },
  };
}

describe("an app's owner, for `ballast app get`", () => {
  const shard = shardOf(key, 16);

  it("is the holder of the app's shard Lease, the shard count read from the Leases", async () => {
    const o = await ownerOf(
      leases([shardLease((shard + 1) % 16, 'other', 0), shardLease(shard, 'pod-1-42', 1_000)]),
      'ballast-system',
      'ballast-controller',
      key,
    );
    expect(describeOwner(o)).toBe(
      `owner: pod-1-42 (shard ${shard} of 16, Lease ballast-system/ballast-controller-shard-${shard})`,
    );
  });

  it('says so when the shard is free or its holder lapsed', async () => {
    const lapsed = await ownerOf(
      leases([shardLease(shard, 'gone-1', 60_000)]),
      'ballast-system',
      'ballast-controller',
      key,
    );
    expect(describeOwner(lapsed)).toMatch(
      /^owner: none \(shard \d+ of 16, .* lapsed; last held by gone-1\)$/,
    );
    const free = await ownerOf(
      leases([shardLease(shard, '', 0)]),
      'ballast-system',
      'ballast-controller',
      key,
    );
    expect(describeOwner(free)).toMatch(/^owner: none yet/);
  });

  it('says nothing for a controller that is not sharded, or Leases the user may not read', async () => {
    const none = await ownerOf(leases([]), 'ballast-system', 'ballast-controller', key);
    expect(none).toEqual({ kind: 'unsharded' });
    const denied = await ownerOf(leases([], 403), 'ballast-system', 'ballast-controller', key);
    expect(denied.kind).toBe('unknown');
    expect(describeOwner(none)).toBeUndefined();
    expect(describeOwner(denied)).toBeUndefined();
  });
});
