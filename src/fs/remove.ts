import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Gives the owner full access (u+rwx) to `dir` and every directory below it. Symlinks are never
 * followed, so nothing outside the tree changes; files keep their modes.
 *
 * Removing or replacing an entry needs write permission on the directory holding it, and the
 * source cache leaves whole trees at 0555. Root is exempt, which is why this only shows up when
 * the controller (or a test) runs as another user.
 */
export async function makeOwnerWritable(dir: string): Promise<void> {
  const st = await lstat(dir);
  if (!st.isDirectory()) return;
  await chmod(dir, (st.mode & 0o7777) | 0o700);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) await makeOwnerWritable(join(dir, e.name));
  }
}

/**
 * `rm -rf`, including trees whose directories are read-only (checked-out commits from the source
 * cache, or copies of them). Plain `rm` is tried first; the permissions are restored and the
 * removal retried only when it was refused, so the common case walks the tree once.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
    await makeOwnerWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}
