import { describe, expect, it } from 'vitest';
import { formatAppKey } from '../api/app-key.js';
import { fairShare, fnv1a, memberLeaseName, planShards, shardOf, type ShardSeen } from './shard.js';

const free: ShardSeen = { kind: 'free' };
const ours: ShardSeen = { kind: 'ours' };
const theirs: ShardSeen = { kind: 'theirs', holder: 'b' };

describe('shard assignment', () => {
  it('hashes a key the same way every time (FNV-1a, 32 bits)', () => {
    // The published FNV-1a test vectors: a change here moves every Application to another shard.
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    expect(shardOf(formatAppKey({ namespace: 'team-a', name: 'web' }), 16)).toBe(
      fnv1a('team-a/web') % 16,
    );
  });

  it('spreads 300 Applications over 16 shards with none empty or doubly full', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 300; i++) {
      const s = shardOf(formatAppKey({ namespace: 'bench', name: `app-${i}` }), 16);
      counts[s] = (counts[s] ?? 0) + 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan(2 * (300 / 16));
  });

  it('names member Leases validly whatever the identity', () => {
    expect(memberLeaseName('ballast-controller', 'Host_Name.example-123')).toMatch(
      /^ballast-controller-member-[0-9a-f]{8}$/,
    );
  });

  it('gives each live replica at most ceil(shards / live)', () => {
    expect(fairShare(16, 1)).toBe(16);
    expect(fairShare(16, 3)).toBe(6);
    expect(fairShare(16, 0)).toBe(16);
  });
});

describe('one round of the shard protocol', () => {
  it('takes free shards up to its share, starting at its offset', () => {
    const seen = [free, theirs, free, free, free, theirs];
    expect(planShards({ seen, live: 2, releasing: new Set(), offset: 3 })).toEqual({
      release: [],
      acquire: [3, 4, 0],
    });
  });

  it('gives back its highest shards when a newcomer lowers its share, and takes nothing', () => {
    const seen: ShardSeen[] = [ours, ours, ours, ours, free, free];
    expect(planShards({ seen, live: 3, releasing: new Set(), offset: 0 })).toEqual({
      release: [3, 2],
      acquire: [],
    });
  });

  it('counts shards already being given back, so it never gives back too many', () => {
    const seen: ShardSeen[] = [ours, ours, ours, ours, free, free];
    expect(planShards({ seen, live: 3, releasing: new Set([3]), offset: 0 })).toEqual({
      release: [2],
      acquire: [],
    });
    expect(planShards({ seen, live: 3, releasing: new Set([3, 2]), offset: 0 }).release).toEqual(
      [],
    );
  });

  it('holds steady at its share', () => {
    const seen: ShardSeen[] = [ours, ours, theirs, theirs, free, free];
    expect(planShards({ seen, live: 3, releasing: new Set(), offset: 0 })).toEqual({
      release: [],
      acquire: [],
    });
  });
});
