import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withRepoLimits } from './fetch-limit.js';

/** A pack header announcing `count` objects, as git writes it before the objects. */
function packHeader(count: number): Buffer {
  const b = Buffer.alloc(12);
  b.write('PACK', 0, 'latin1');
  b.writeUInt32BE(2, 4);
  b.writeUInt32BE(count, 8);
  return b;
}

describe('a fetch stopped at the object limit', () => {
  let mirror: string;
  beforeEach(async () => {
    mirror = await mkdtemp(join(tmpdir(), 'ballast-fetch-limit-'));
    await mkdir(join(mirror, 'objects', 'pack'), { recursive: true });
  });
  afterEach(async () => {
    await rm(mirror, { recursive: true, force: true });
  });

  it('leaves none of the pack, index or reverse index git had begun writing when it was killed', async () => {
    const pack = join(mirror, 'objects', 'pack');
    const limits = { maxRepoBytes: 1 << 30, maxRepoObjects: 10, pollMs: 5 };
    const result = await withRepoLimits(mirror, limits, async (signal) => {
      await writeFile(join(pack, 'tmp_pack_abc'), packHeader(1000));
      await new Promise((resolve) => {
        signal.addEventListener('abort', resolve, { once: true });
      });
      // index-pack got as far as its index files before the kill reached it.
      await writeFile(join(pack, 'tmp_idx_abc'), 'idx');
      await writeFile(join(pack, 'tmp_rev_abc'), 'rev');
      throw new Error('git fetch was killed');
    });
    expect(result).toEqual({
      kind: 'over-limit',
      problem: 'the repository holds 1000 objects, over the 10-object limit',
    });
    expect(await readdir(pack)).toEqual([]);
  });
});

describe('a fetch that fails', () => {
  let mirror: string;
  beforeEach(async () => {
    mirror = await mkdtemp(join(tmpdir(), 'ballast-fetch-failed-'));
    await mkdir(join(mirror, 'objects', 'pack'), { recursive: true });
  });
  afterEach(async () => {
    await rm(mirror, { recursive: true, force: true });
  });

  it('leaves no partial pack behind when index-pack refuses a corrupt or truncated pack', async () => {
    const pack = join(mirror, 'objects', 'pack');
    const limits = { maxRepoBytes: 1 << 30, maxRepoObjects: 1000, pollMs: 5 };
    const failing = withRepoLimits(mirror, limits, async () => {
      await writeFile(join(pack, 'tmp_pack_abc'), packHeader(3));
      throw new Error('fatal: pack has bad object at offset 12');
    });
    await expect(failing).rejects.toThrow('bad object');
    expect(await readdir(pack)).toEqual([]);
  });

  it('does not count a partial pack left by a killed process against the next fetch', async () => {
    const pack = join(mirror, 'objects', 'pack');
    await writeFile(join(pack, 'tmp_pack_dead'), packHeader(900));
    const limits = { maxRepoBytes: 1 << 30, maxRepoObjects: 1000, pollMs: 5 };
    const result = await withRepoLimits(mirror, limits, async () => {
      await writeFile(join(pack, 'tmp_pack_new'), packHeader(200));
      await new Promise((r) => setTimeout(r, 50));
      await rm(join(pack, 'tmp_pack_new'));
      await writeFile(join(pack, 'pack-new.pack'), packHeader(200));
      return 'fetched';
    });
    expect(result).toEqual({ kind: 'ok', value: 'fetched' });
    expect(await readdir(pack)).toEqual(['pack-new.pack']);
  });
});
