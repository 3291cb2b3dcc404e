import type { AppKey } from '../api/app-key.js';
import { judgeLease, LeaseClient, type LeaseHttp } from '../reconcile/lease.js';
import { leaseGroupLabel, leaseRoleLabel, shardCountLabel } from '../reconcile/shard.js';
import { shardLeaseName, shardOf } from '../reconcile/shard.js';

/** Which controller replica works on an Application, as its shard's Lease says now. */
export type AppOwner =
  | {
      kind: 'sharded';
      shard: number;
      shards: number;
      lease: string;
      holder: string;
      state: 'held' | 'lapsed' | 'free';
    }
  /** No shard Lease: the controller is not sharded (one leader works on every Application). */
  | { kind: 'unsharded' }
  /** The Leases could not be read (no rights to list them, apiserver trouble). */
  | { kind: 'unknown'; why: string };

/**
 * Reads the shard Leases of `leasePrefix` (one LIST) and finds the holder of `key`'s shard. The
 * shard count is read from the Leases' label, so the CLI needs no `--shards` of its own.
 */
export async function ownerOf(
  http: LeaseHttp,
  leaseNamespace: string,
  leasePrefix: string,
  key: AppKey,
): Promise<AppOwner> {
  const client = new LeaseClient(http, leaseNamespace, leasePrefix, 10_000);
  let leases;
  try {
    leases = await client.list(`${leaseGroupLabel}=${leasePrefix},${leaseRoleLabel}=shard`);
  } catch (e) {
    return { kind: 'unknown', why: e instanceof Error ? e.message : String(e) };
  }
  const labels = leases[0]?.metadata.labels as Record<string, string> | undefined;
  const shards = Number(labels?.[shardCountLabel] ?? '');
  if (!(Number.isInteger(shards) && shards >= 1)) return { kind: 'unsharded' };
  const shard = shardOf(key, shards);
  const lease = shardLeaseName(leasePrefix, shard);
  const spec = leases.find((l) => l.metadata.name === lease)?.spec ?? {};
  const verdict = judgeLease(spec, '', Date.now(), 15_000);
  const holder = spec.holderIdentity ?? '';
  const state = verdict.kind === 'held' ? 'held' : verdict.kind === 'expired' ? 'lapsed' : 'free';
  return { kind: 'sharded', shard, shards, lease: `${leaseNamespace}/${lease}`, holder, state };
}

/** One line for `ballast app get`, or undefined when there is nothing to say. */
export function describeOwner(o: AppOwner): string | undefined {
  switch (o.kind) {
    // Most users may not read the controller's Leases; for them, and for a controller that is
    // not sharded, `get` shows the object alone.
    case 'unsharded':
    case 'unknown':
      return undefined;
    case 'sharded': {
      const where = `shard ${o.shard} of ${o.shards}, Lease ${o.lease}`;
      if (o.state === 'free') return `owner: none yet (${where} is free)`;
      if (o.state === 'lapsed') return `owner: none (${where} lapsed; last held by ${o.holder})`;
      return `owner: ${o.holder} (${where})`;
    }
  }
}
