import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultWorld } from '../support/fault-world.js';
import { eventually } from '../support/kube.js';

/**
 * Fault suite, scenario 2: Git serves a corrupt or truncated pack. The fault proxy passes the
 * real server's answers through, but flips bytes inside the upload-pack answer's pack, or cuts
 * that answer in half. The controller is the built CLI; nothing of its cache is touched by hand.
 */
const app = 'packed';
let w: FaultWorld;
let first: string;
let second: string;

/** The Application says FetchFailed, naming the proxy's host, with git's reason matching `why`. */
async function fetchFailed(why: RegExp): Promise<boolean> {
  const r = await w.ready(app);
  return (
    r?.status === 'False' &&
    r.reason === 'FetchFailed' &&
    r.message.includes(w.proxy.base.replace('http://', '')) &&
    why.test(r.message)
  );
}

/** Files a killed or refused fetch could leave in the mirrors: partial packs and indexes. */
async function leftovers(): Promise<string[]> {
  const mirrors = join(w.cacheDir, 'mirrors');
  const found: string[] = [];
  for (const m of await readdir(mirrors).catch(() => [] as string[])) {
    const packs = await readdir(join(mirrors, m, 'objects', 'pack')).catch(() => [] as string[]);
    found.push(...packs.filter((n) => n.startsWith('tmp_')));
  }
  return found;
}

beforeAll(async () => {
  w = new FaultWorld(inject('controlPlane').clusters[0]?.kubeconfig ?? '');
  await w.start(['--git-timeout', '10s']);
  first = await w.push([app], 'one');
  await w.createApp(app, '1h');
  await eventually('the app is Synced at the first commit', 90_000, () =>
    w.syncedAt(app, first, 'one'),
  );
});

afterAll(async () => {
  await w.close();
});

describe('Git serving a corrupt or truncated pack', () => {
  it('a pack whose bytes were flipped is refused with FetchFailed, and the applied revision stays whole', async () => {
    w.proxy.mode = 'corrupt-pack';
    second = await w.push([app], 'two');
    await w.refresh([app]);
    await eventually('the corrupt pack is refused', 30_000, () =>
      fetchFailed(/pack|inflate|index-pack|SHA1|checksum/i),
    );
    expect(w.proxy.counts.tampered).toBeGreaterThan(0);
    console.log(`faults: corrupt pack refused: ${(await w.ready(app))?.message ?? ''}`);
    await w.expectWholeAt(app, 'one');
  });

  it('a pack cut in half is refused with FetchFailed, and the applied revision stays whole', async () => {
    w.proxy.mode = 'truncate-pack';
    const before = w.proxy.counts.tampered;
    await w.refresh([app]);
    await eventually('the truncated answer is refused', 30_000, async () => {
      return (
        w.proxy.counts.tampered > before &&
        (await fetchFailed(/unexpected disconnect|early EOF|bytes of body are still expected/i))
      );
    });
    console.log(`faults: truncated pack refused: ${(await w.ready(app))?.message ?? ''}`);
    await w.expectWholeAt(app, 'one');
  });

  it('the mirror is not poisoned: the next fetch from a healthy server applies the new commit with no cleanup by hand, and no partial pack is left behind', async () => {
    w.proxy.mode = 'pass';
    await w.refresh([app]);
    await eventually('the app is Synced at the second commit', 30_000, () =>
      w.syncedAt(app, second, 'two'),
    );
    await w.expectWholeAt(app, 'two');
    const synced = (await w.records(app)).filter((r) => r.kind === 'sync-applied');
    expect(synced.map((r) => r.revision)).toEqual([first, second]);
    expect(await leftovers()).toEqual([]);
  });
});
