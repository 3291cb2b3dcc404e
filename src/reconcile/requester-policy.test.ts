import { describe, expect, it } from 'vitest';
import type { Cluster } from '../cluster/cluster.js';
import { RequesterPolicyWatch } from './requester-policy.js';

/** A cluster whose reads fail as a 403 would while `allowed` is false. */
function forbidding(): { cluster: Cluster; set: (allowed: boolean) => void } {
  let allowed = false;
  const cluster = {
    get: () => (allowed ? Promise.resolve(undefined) : Promise.reject(new Error('403 Forbidden'))),
  } as unknown as Cluster;
  return {
    cluster,
    set: (a: boolean) => {
      allowed = a;
    },
  };
}

describe('RequesterPolicyWatch', () => {
  it('says a failing lookup once per run of failures, not at every refresh', async () => {
    const { cluster, set } = forbidding();
    const errors: unknown[] = [];
    const watch = await RequesterPolicyWatch.start(cluster, {
      policyName: 'ballast-requested-by',
      refreshMs: 3_600_000,
      onError: (e) => errors.push(e),
    });
    await watch.refresh();
    await watch.refresh();
    expect(errors).toHaveLength(1);
    expect(watch.check()).toBe('unenforced');
    set(true);
    await watch.refresh();
    // A success ends the run: the next failure is said again.
    set(false);
    await watch.refresh();
    expect(errors).toHaveLength(2);
    watch.stop();
  });
});
