import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeOwnerWritable, removeTree } from './remove.js';

let base: string;
let tree: string;
let outside: string;

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;
const exists = (p: string): Promise<boolean> =>
  lstat(p).then(
    () => true,
    () => false,
  );

/** The shape the source cache leaves: 0444 files in 0555 directories, plus a link out. */
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'ballast-remove-'));
  tree = join(base, 'tree');
  outside = join(base, 'outside');
  await mkdir(join(tree, 'app', 'sub'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'keep.yaml'), 'k: 1\n');
  await writeFile(join(tree, 'app', 'sub', 'a.yaml'), 'a: 1\n');
  await symlink(outside, join(tree, 'app', 'link'));
  for (const f of [join(tree, 'app', 'sub', 'a.yaml'), join(outside, 'keep.yaml')])
    await chmod(f, 0o444);
  for (const d of [join(tree, 'app', 'sub'), join(tree, 'app'), tree, outside])
    await chmod(d, 0o555);
});

afterEach(async () => {
  // chmod(1), not the code under test: a broken helper must not leave its own test's files behind.
  execFileSync('chmod', ['-R', 'u+w', base]);
  await rm(base, { recursive: true, force: true });
});

describe('removing a read-only tree', () => {
  it('removes the whole tree and leaves what a symlink in it points at', async () => {
    await removeTree(tree);
    expect(await exists(tree)).toBe(false);
    expect(await exists(join(outside, 'keep.yaml'))).toBe(true);
  });

  it('is not an error when the path is already gone', async () => {
    await expect(removeTree(join(base, 'never-made'))).resolves.toBeUndefined();
  });

  it('opens every directory to its owner, but leaves file modes and symlink targets alone', async () => {
    await makeOwnerWritable(tree);
    for (const d of [tree, join(tree, 'app'), join(tree, 'app', 'sub')])
      expect(await mode(d)).toBe(0o755);
    expect(await mode(join(tree, 'app', 'sub', 'a.yaml'))).toBe(0o444);
    expect(await mode(outside)).toBe(0o555);
  });

  it('leaves a symlink given as the path alone', async () => {
    await makeOwnerWritable(join(tree, 'app', 'link'));
    expect(await mode(outside)).toBe(0o555);
  });
});
