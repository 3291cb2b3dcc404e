import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** How big a mirror may grow: what one repository may cost the controller's disk. */
export interface RepoLimits {
  /** Bytes of objects in the mirror, counting a fetch as it arrives. */
  maxRepoBytes: number;
  /** Objects in the mirror, counting a fetch's pack from its header, before its objects. */
  maxRepoObjects: number;
  /** How often a running fetch is measured; it may overshoot by what arrives in this time. */
  pollMs: number;
}

/** What a mirror's objects hold: packs (objects from their headers) and loose objects. */
interface Usage {
  bytes: number;
  objects: number;
}

const packPrefix = 'tmp_pack_';

/** The object count in a pack's header ("PACK", version, count), or 0 until it has arrived. */
async function packObjects(path: string): Promise<number> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (fh === undefined) return 0;
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await fh.read(head, 0, 12, 0);
    return bytesRead === 12 && head.toString('latin1', 0, 4) === 'PACK' ? head.readUInt32BE(8) : 0;
  } finally {
    await fh.close();
  }
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/** Packs in `objects/pack`; `incoming` picks the packs a fetch is writing now, else the kept ones. */
async function packUsage(mirror: string, incoming: boolean): Promise<Usage> {
  const dir = join(mirror, 'objects', 'pack');
  const names = await readdir(dir).catch(() => [] as string[]);
  const usage: Usage = { bytes: 0, objects: 0 };
  for (const n of names) {
    const isIncoming = n.startsWith(packPrefix);
    if (isIncoming !== incoming) continue;
    const p = join(dir, n);
    usage.bytes += await sizeOf(p);
    if (isIncoming || n.endsWith('.pack')) usage.objects += await packObjects(p);
  }
  return usage;
}

/** The mirror's objects before a fetch: kept packs and loose objects. */
async function baseline(mirror: string): Promise<Usage> {
  const usage = await packUsage(mirror, false);
  const objects = join(mirror, 'objects');
  for (const d of await readdir(objects).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{2}$/.test(d)) continue;
    for (const f of await readdir(join(objects, d)).catch(() => [] as string[])) {
      usage.bytes += await sizeOf(join(objects, d, f));
      usage.objects += 1;
    }
  }
  return usage;
}

/** Why the mirror is over a limit, or undefined. */
function overLimit(u: Usage, limits: RepoLimits): string | undefined {
  if (u.objects > limits.maxRepoObjects)
    return `the repository holds ${u.objects} objects, over the ${limits.maxRepoObjects}-object limit`;
  if (u.bytes > limits.maxRepoBytes)
    return `the repository holds at least ${u.bytes} bytes, over the ${limits.maxRepoBytes}-byte limit`;
  return undefined;
}

/**
 * Runs `fetch` while measuring what it adds to the mirror, and aborts it through the signal it
 * is given once the mirror would pass a limit. git has no such limit for fetches
 * (`receive.maxInputSize` is for pushes), so the fetch is made to keep every pack it receives
 * (`transfer.unpackLimit=1`), and the pack being written is measured: its header gives the
 * object count as soon as it arrives, its size the bytes so far. Returns why it was aborted.
 */
export async function withRepoLimits<T>(
  mirror: string,
  limits: RepoLimits,
  fetch: (signal: AbortSignal) => Promise<T>,
): Promise<{ kind: 'ok'; value: T } | { kind: 'over-limit'; problem: string }> {
  // What a fetch killed with its process (a controller SIGKILLed mid-fetch) left behind would
  // count against this fetch, and stay on disk for good.
  await removeIncoming(mirror);
  const before = await baseline(mirror);
  const already = overLimit(before, limits);
  if (already !== undefined) return { kind: 'over-limit', problem: already };
  const abort = new AbortController();
  let problem: string | undefined;
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void packUsage(mirror, true)
      .then((now) => {
        problem ??= overLimit(
          { bytes: before.bytes + now.bytes, objects: before.objects + now.objects },
          limits,
        );
        if (problem !== undefined) abort.abort(new Error(problem));
      })
      // A pack renamed or removed while it was measured is measured again next time.
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, limits.pollMs);
  try {
    const value = await fetch(abort.signal);
    clearInterval(timer);
    // A fetch faster than one poll is measured whole once it is in; its refs already point at
    // it, so the mirror goes, and the next fetch starts from nothing.
    problem ??= overLimit(await baseline(mirror), limits);
    if (problem !== undefined) await rm(mirror, { recursive: true, force: true });
    return problem === undefined ? { kind: 'ok', value } : { kind: 'over-limit', problem };
  } catch (e) {
    if (problem !== undefined) return { kind: 'over-limit', problem };
    throw e;
  } finally {
    clearInterval(timer);
    // A killed or failed index-pack (a corrupt or truncated pack, a timeout) leaves its partial
    // pack behind; one per failed fetch would fill the disk and count against every later fetch.
    // After a fetch that succeeded, git has renamed its files, so any `tmp_` file is garbage.
    await removeIncoming(mirror);
  }
}

/**
 * git writes a fetch's pack as `tmp_pack_*`, then its index (`tmp_idx_*`) and reverse index
 * (`tmp_rev_*`) before renaming them; a kill may land after any of these. The mirror is locked
 * for the fetch, so every `tmp_` file in it is this fetch's.
 */
async function removeIncoming(mirror: string): Promise<void> {
  const dir = join(mirror, 'objects', 'pack');
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    if (n.startsWith('tmp_')) await rm(join(dir, n), { force: true });
  }
}
