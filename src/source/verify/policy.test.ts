import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOrThrow } from '../../exec/run.js';
import { refusalSummary, verifyRevision, type VerificationResult } from './policy.js';
import { fixture, keysFrom } from './testdata/fixtures.js';
import type { TrustedKeys } from './types.js';

let gitDir: string;
let keys: TrustedKeys;
const ids: Record<string, string> = {};

const git = async (args: string[], stdin?: Buffer): Promise<string> =>
  (
    await runOrThrow('git', 'git', ['--git-dir', gitDir, ...args], {
      timeoutMs: 30_000,
      ...(stdin === undefined ? {} : { stdin }),
    })
  ).toString('utf8');

/** Writes a fixture object into the repo; its links need not exist for a head-mode check. */
async function put(name: string, type: 'commit' | 'tag'): Promise<string> {
  const id = (await git(['hash-object', '-t', type, '-w', '--stdin'], fixture(name))).trim();
  ids[name] = id;
  return id;
}

beforeAll(async () => {
  gitDir = await mkdtemp(join(tmpdir(), 'ballast-verify-policy-'));
  await git(['init', '--quiet', '--bare']);
  for (const c of ['commit-openpgp.txt', 'commit-unsigned.txt', 'commit-ssh-mallory.txt'])
    await put(c, 'commit');
  await git(['update-ref', 'refs/tags/v1', await put('tag-openpgp.txt', 'tag')]);
  keys = await keysFrom(['signer@example.com']);
});

afterAll(async () => {
  await rm(gitDir, { recursive: true, force: true });
});

const head = (target: string, ref?: string): Promise<VerificationResult> =>
  verifyRevision(gitDir, { mode: 'head', target, keys, ...(ref === undefined ? {} : { ref }) });

describe('signature policy on raw objects', () => {
  it('trusts a signed head and reports its signer, key and the commit checked', async () => {
    const target = ids['commit-openpgp.txt'] ?? '';
    expect(await head(target)).toMatchObject({
      kind: 'trusted',
      via: 'commit',
      range: 'head-only',
      format: 'openpgp',
      signer: 'Test Signer <signer@example.com>',
      commits: [{ sha: target }],
    });
  });

  it('refuses an unsigned head with one line naming the commit and author', async () => {
    const r = await head(ids['commit-unsigned.txt'] ?? '');
    expect(r.kind).toBe('refused');
    if (r.kind === 'refused')
      expect(refusalSummary(r)).toBe(
        `commit ${(ids['commit-unsigned.txt'] ?? '').slice(0, 12)} by Test Signer <signer@example.com>: not signed (the commit is not signed)`,
      );
  });

  it('lets a trusted signed tag vouch for the commit it names', async () => {
    const target = ids['commit-ssh-mallory.txt'] ?? '';
    expect(await head(target)).toMatchObject({ kind: 'refused' });
    expect(await head(target, 'v1')).toMatchObject({ kind: 'trusted', via: 'tag', commits: [] });
  });

  it('refuses a tag that names another commit than the target', async () => {
    const r = await head(ids['commit-unsigned.txt'] ?? '', 'v1');
    expect(r).toMatchObject({ kind: 'refused' });
    if (r.kind === 'refused')
      expect(r.refused.map((x) => x.reason)).toEqual(['tag-mismatch', 'unsigned']);
  });

  it('skips everything in mode none', async () => {
    expect(await verifyRevision(gitDir, { mode: 'none', target: 'x', keys })).toEqual({
      kind: 'skipped',
      mode: 'none',
      target: 'x',
    });
  });

  it('fails with a VerificationError when the target is not in the repository', async () => {
    await expect(head('0'.repeat(40))).rejects.toThrow(/not in the repository/);
  });
});
