import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultSweepOptions,
  processScratchDir,
  processStartTime,
  sweepStaleSandboxes,
} from './sandbox.js';

describe('per-process scratch directories', () => {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sandbox-test-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const make = async (name: string, ageMs = 0): Promise<void> => {
    await mkdir(join(root, name, 'repo'), { recursive: true });
    await writeFile(join(root, name, 'repo', 'secret.yaml'), 'password: hunter2\n');
    const when = new Date(Date.now() - ageMs);
    await utimes(join(root, name), when, when);
  };

  it("sweeps a dead owner's and a reused pid's directories, and keeps a live owner's", async () => {
    const start = processStartTime(process.pid);
    expect(start).toMatch(/^\d+$/);
    const live = `ballast-${process.pid}-${start ?? ''}`;
    const reused = `ballast-${process.pid}-1`;
    // Far above any pid_max, so no process can own it.
    const dead = 'ballast-999999999-5';
    for (const name of [live, reused, dead]) await make(name);
    const removed = await sweepStaleSandboxes(defaultSweepOptions([root]));
    expect(removed.sort()).toEqual([join(root, dead), join(root, reused)].sort());
    expect(await readdir(root)).toEqual([live]);
  });

  it('sweeps legacy directories only once they are older than any render, and nothing else', async () => {
    await make('ballast-sops-old', 2 * 60 * 60_000);
    await make('ballast-sops-new');
    await make('ballast-contract-x', 2 * 60 * 60_000);
    await symlink(join(root, 'ballast-sops-new'), join(root, 'ballast-1-1'));
    await sweepStaleSandboxes(defaultSweepOptions([root]));
    expect((await readdir(root)).sort()).toEqual([
      'ballast-1-1',
      'ballast-contract-x',
      'ballast-sops-new',
    ]);
  });

  it("makes this process's own 0700 directory once and sweeps the parent on first use", async () => {
    await make('ballast-999999999-5');
    const dir = await processScratchDir(root);
    expect(dir).toBe(join(root, `ballast-${process.pid}-${processStartTime(process.pid) ?? ''}`));
    expect(await processScratchDir(root)).toBe(dir);
    await expect.poll(() => readdir(root)).toEqual([dir.slice(root.length + 1)]);
  });
});
