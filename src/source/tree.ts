import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import { removeTree } from '../fs/remove.js';
import { git, GitError } from './git.js';
import type { PinnedCommit, SourceOptions } from './source.js';

type TreeOptions = Pick<SourceOptions, 'gitTimeoutMs' | 'maxTreeBytes' | 'maxFileBytes'>;

/**
 * Checks size limits, then extracts the pinned commit's tree from its mirror into `dest`,
 * read-only. A tree already at `dest` is the same commit, so it is returned as it is.
 */
export async function extractTree(
  pin: PinnedCommit,
  dest: string,
  opts: TreeOptions,
): Promise<string> {
  const { mirror, sha, url } = pin;
  if (
    await stat(dest).then(
      () => true,
      () => false,
    )
  )
    return dest;
  await checkSizes(url, mirror, sha, opts);
  const archive = await git(['--git-dir', mirror, 'archive', '--format=tar', sha], undefined, {
    timeoutMs: opts.gitTimeoutMs,
    maxStdoutBytes: opts.maxTreeBytes * 2 + 1024 * 1024,
  });
  if (archive.kind !== 'ok') throw new GitError(url, 'archive', `cannot export ${sha}`);
  // Unique per call: two reconciles of one commit in the same millisecond must not share it.
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  const untar = await run('tar', ['-x', '--no-same-owner', '-C', tmp], {
    stdin: archive.stdout,
    timeoutMs: opts.gitTimeoutMs,
  });
  if (untar.kind !== 'ok') {
    await rm(tmp, { recursive: true, force: true });
    throw new GitError(url, 'archive', `cannot extract ${sha}`);
  }
  // From here on tmp may be read-only: only removeTree can delete it as a non-root user.
  await makeReadOnly(tmp).catch(async (e: unknown) => {
    await removeTree(tmp);
    throw e;
  });
  await rename(tmp, dest).catch(async (e: unknown) => {
    // Another process materialized the same commit first; theirs is identical.
    await removeTree(tmp);
    if (
      !(await stat(dest).then(
        () => true,
        () => false,
      ))
    )
      throw e;
  });
  return dest;
}

async function checkSizes(
  url: string,
  mirror: string,
  sha: string,
  opts: TreeOptions,
): Promise<void> {
  const listed = await git(['--git-dir', mirror, 'ls-tree', '-r', '-l', '-z', sha], undefined, {
    timeoutMs: opts.gitTimeoutMs,
  });
  if (listed.kind !== 'ok') throw new GitError(url, 'ls-tree', `cannot list ${sha}`);
  const out = listed.stdout;
  let total = 0;
  for (const entry of out.toString('utf8').split('\0')) {
    const m = /^\d+ blob [0-9a-f]+\s+(\d+)\t(.*)$/s.exec(entry);
    if (m === null) continue;
    const size = Number(m[1]);
    total += size;
    if (size > opts.maxFileBytes) {
      throw new GitError(
        url,
        'checkout',
        `${m[2] ?? '?'} at ${sha.slice(0, 12)} is ${size} bytes, over the ${opts.maxFileBytes}-byte file limit; remove it from the repo or raise the limit`,
      );
    }
  }
  if (total > opts.maxTreeBytes) {
    throw new GitError(
      url,
      'checkout',
      `commit ${sha.slice(0, 12)} holds ${total} bytes of files, over the ${opts.maxTreeBytes}-byte limit`,
    );
  }
}

async function makeReadOnly(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await makeReadOnly(p);
    else if (e.isFile()) await chmod(p, 0o444);
  }
  await chmod(dir, 0o555);
}
