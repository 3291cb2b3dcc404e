import type { AppKey } from '../api/app-key.js';

/**
 * Which shard an Application belongs to, and how many shards a replica should hold. Pure: the
 * controller, the CLI (`ballast app get`) and the tests compute the same answers from the key.
 */

/** The label every Lease of one sharded controller carries, so one LIST reads them all. */
export const leaseGroupLabel = 'ballast.dev/lease-group';
/** `shard` or `member`. */
export const leaseRoleLabel = 'ballast.dev/lease-role';
/** On shard Leases: the shard count, so `ballast app get` can compute an app's shard. */
export const shardCountLabel = 'ballast.dev/shards';

/** FNV-1a, 32 bits: stable across processes, versions and platforms, unlike a seeded hash. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The shard of `key` among `shards`: the same on every replica given the same `--shards`. */
export function shardOf(key: AppKey, shards: number): number {
  return fnv1a(key) % shards;
}

/** The Lease that holds shard `index` of the controller whose Leases are named `prefix`. */
export function shardLeaseName(prefix: string, index: number): string {
  return `${prefix}-shard-${index}`;
}

/**
 * The Lease that says a replica is alive. Its name is derived from the identity (host and pid,
 * which may not be a valid object name); the identity itself is the Lease's holder.
 */
export function memberLeaseName(prefix: string, identity: string): string {
  return `${prefix}-member-${fnv1a(identity).toString(16).padStart(8, '0')}`;
}

/**
 * The most shards one replica holds when `live` replicas share `shards`. Every replica may take
 * up to this many, so together they cover every shard (live × ceil(shards / live) ≥ shards),
 * and one holding more gives the excess back so a newcomer gets its share.
 */
export function fairShare(shards: number, live: number): number {
  return Math.ceil(shards / Math.max(1, live));
}

/** Where a shard's Lease stands, as this replica sees it at one moment. */
export type ShardSeen =
  | { kind: 'ours' }
  /** Nobody holds it: never held, released, or its holder's lease lapsed. */
  | { kind: 'free' }
  | { kind: 'theirs'; holder: string };

/** What one replica does with the shards in one round; see planShards. */
export interface ShardPlan {
  /** Shards to stop working on and then give back, highest first. */
  release: number[];
  /** Free shards to try to take, in the order to try them. */
  acquire: number[];
}

/**
 * One round of the protocol for one replica, decided from what it sees. It holds at most its
 * fair share: above it, it gives back its highest-numbered shards; below it, it tries free
 * shards, starting at an offset derived from its identity so that replicas starting together
 * try different shards first. Shards already being given back count as held until they are.
 */
export function planShards(input: {
  /** What each shard's Lease shows, by index. */
  seen: readonly ShardSeen[];
  /** Live replicas, this one included. */
  live: number;
  /** Shards this replica is already giving back. */
  releasing: ReadonlySet<number>;
  /** Where this replica starts looking for free shards. */
  offset: number;
}): ShardPlan {
  const shards = input.seen.length;
  const share = fairShare(shards, input.live);
  const ours = input.seen.flatMap((s, i) => (s.kind === 'ours' ? [i] : []));
  const kept = ours.filter((i) => !input.releasing.has(i));
  const held = ours.length;
  // Shards already on their way back count toward the excess.
  const excess = held - share - (held - kept.length);
  const release = excess > 0 ? kept.slice(-excess).reverse() : [];
  if (held >= share) return { release, acquire: [] };
  const acquire: number[] = [];
  for (let n = 0; n < shards && acquire.length < share - held; n++) {
    const i = (input.offset + n) % shards;
    if (input.seen[i]?.kind === 'free') acquire.push(i);
  }
  return { release, acquire };
}
