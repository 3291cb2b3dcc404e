import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBareRepo,
  createGpgSigner,
  createSshSigner,
  signingInvocation,
  startGitServer,
  WorkingClone,
  type CommitSigner,
  type GitServer,
} from '../../src/dev/git/index.js';
import { allowedSignersLine } from '../../src/dev/git/signing.js';
import { removeTree } from '../../src/fs/remove.js';
import type { GitRemote } from '../../src/source/git.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import {
  describeRefusal,
  type RefusedObject,
  trustedKeysFromEntries,
  type TrustedKeys,
  type VerificationMode,
  type VerificationResult,
} from '../../src/source/verify/index.js';
import {
  createExpiredGpgKey,
  createRevokedGpgKey,
  createSshSignerOfType,
  type SpecialGpgKey,
} from './verify-signers.js';

const token = `tok_${randomBytes(12).toString('hex')}`;
let server: GitServer;
let clone: WorkingClone;
let source: GitSource;
let remote: GitRemote;
let keys: TrustedKeys;
let base: string;
let scratch: string;
const signers: Record<'gpg' | 'mallory' | 'ed25519' | 'ecdsa' | 'rsa', CommitSigner> = {} as never;
let expired: SpecialGpgKey;
let revoked: SpecialGpgKey;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startGitServer({ auth: { users: [], tokens: [token] }, allowPush: true });
  cleanups.push(() => server.stop());
  await createBareRepo(server, 'signed');
  remote = {
    url: server.httpUrl('signed'),
    auth: { kind: 'token', token },
    insecureAllowHttpCredentials: true,
  };
  clone = await WorkingClone.clone({ url: remote.url, access: { kind: 'bearer', token } });
  cleanups.push(() => clone.remove());
  const cache = await mkdtemp(join(tmpdir(), 'ballast-verify-cache-'));
  cleanups.push(() => removeTree(cache));
  source = new GitSource(defaultSourceOptions(cache));
  scratch = await mkdtemp(join(tmpdir(), 'ballast-verify-scratch-'));
  cleanups.push(() => rm(scratch, { recursive: true, force: true }));

  const [gpg, mallory, ed25519, ecdsa, rsa, exp, rev] = await Promise.all([
    createGpgSigner(),
    createGpgSigner({ identity: { name: 'Mallory', email: 'mallory@example.invalid' } }),
    createSshSigner(),
    createSshSignerOfType('ecdsa', 'ecdsa@example.invalid'),
    createSshSignerOfType('rsa', 'rsa@example.invalid'),
    createExpiredGpgKey('expired@example.invalid'),
    createRevokedGpgKey('revoked@example.invalid'),
  ]);
  Object.assign(signers, { gpg, mallory, ed25519, ecdsa, rsa });
  for (const s of [gpg, mallory, ed25519, ecdsa, rsa, exp, rev]) cleanups.push(() => s.remove());
  [expired, revoked] = [exp, rev];

  await clone.writeFile('app/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n');
  base = await clone.commit('base', { signer: gpg });
  await clone.push();
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** The trusted set: one OpenPGP key, three SSH keys, and the expired and revoked keys (as now). */
async function trusted(): Promise<TrustedKeys> {
  const ssh = [signers.ed25519, signers.ecdsa, signers.rsa].map((s) =>
    s.kind === 'ssh' ? allowedSignersLine(s.identity.email, s.publicKey) : '',
  );
  const r = await trustedKeysFromEntries(
    [
      { name: 'team.asc', text: signers.gpg.kind === 'gpg' ? signers.gpg.publicKeyArmored : '' },
      { name: 'expired.asc', text: expired.publicKeyArmored },
      { name: 'revoked.asc', text: revoked.publicKeyArmored },
      { name: 'allowed_signers', text: ssh.join('') },
    ],
    'the test signers',
  );
  if (r.kind !== 'ok') throw r.error;
  return r.value;
}

/** Starts a scenario on its own branch from the base commit. */
async function branch(name: string, from = base): Promise<void> {
  await clone.git(['checkout', '--quiet', '-B', name, from]);
}

async function commit(message: string, signer?: CommitSigner): Promise<string> {
  return clone.commit(message, { allowEmpty: true, ...(signer === undefined ? {} : { signer }) });
}

/** Pushes the scenario's branch, fetches it into the mirror, and returns the tip. */
async function publish(name: string, force = false): Promise<string> {
  await clone.push({ refspecs: [`HEAD:refs/heads/${name}`], force });
  await source.fetch(remote);
  keys = await trusted();
  return (await source.resolve(remote, name)).sha;
}

function verify(
  target: string,
  mode: VerificationMode,
  extra: { since?: string; ref?: string } = {},
): Promise<VerificationResult> {
  return source.verify(remote, { mode, target, keys, ...extra });
}

function refusals(r: VerificationResult): string[] {
  return r.kind === 'refused' ? r.refused.map((x) => `${x.sha}:${x.reason}`) : [];
}

describe('commit verification refuses', () => {
  it('an unsigned commit, naming the commit and its author', async () => {
    await branch('unsigned');
    const sha = await commit('not signed');
    const r = await verify(await publish('unsigned'), 'head');
    expect(refusals(r)).toEqual([`${sha}:unsigned`]);
    if (r.kind === 'refused')
      expect(describeRefusal(r.refused[0] as RefusedObject)).toContain(
        `commit ${sha.slice(0, 12)} by Ballast Test <ballast-test@example.invalid>: not signed`,
      );
  });

  it('a commit signed by a key that is not trusted', async () => {
    await branch('untrusted');
    const sha = await commit('signed by mallory', signers.mallory);
    expect(refusals(await verify(await publish('untrusted'), 'head'))).toEqual([
      `${sha}:untrusted-key`,
    ]);
  });

  it('a forged commit: a signed commit whose content was changed after signing', async () => {
    await branch('forged');
    const signed = await commit('deploy v1', signers.gpg);
    const raw = await clone.catCommit(signed);
    const file = join(scratch, 'forged-commit');
    await writeFile(file, raw.replace('deploy v1', 'deploy v666'));
    const sha = (await clone.git(['hash-object', '-t', 'commit', '-w', file])).trim();
    await clone.git(['reset', '--quiet', '--hard', sha]);
    expect(refusals(await verify(await publish('forged'), 'head'))).toEqual([
      `${sha}:bad-signature`,
    ]);
  });

  it('an unsigned commit hidden under a signed head, in all mode (head mode passes)', async () => {
    await branch('hidden');
    const applied = await commit('applied', signers.gpg);
    const hidden = await commit('sneaked in', undefined);
    await commit('signed on top', signers.ed25519);
    const head = await publish('hidden');
    expect(await verify(head, 'head', { since: applied })).toMatchObject({ kind: 'trusted' });
    const all = await verify(head, 'all', { since: applied });
    expect(refusals(all)).toEqual([`${hidden}:unsigned`]);
    expect(all).toMatchObject({ kind: 'refused', checked: 2 });
  });

  it('a force-push back to an older signed commit, and a rewritten history', async () => {
    await branch('rollback');
    const older = await commit('v1', signers.gpg);
    const applied = await commit('v2', signers.gpg);
    await publish('rollback');
    await clone.git(['reset', '--quiet', '--hard', older]);
    const target = await publish('rollback', true);
    expect(target).toBe(older);
    expect(await verify(target, 'head')).toMatchObject({ kind: 'trusted' });
    expect(await source.checkDescends(remote, applied, target)).toMatchObject({
      kind: 'not-descendant',
      relation: 'older',
    });
    const rewritten = await commit('v2, rewritten', signers.gpg);
    await publish('rollback', true);
    const d = await source.checkDescends(remote, applied, rewritten);
    expect(d).toMatchObject({ kind: 'not-descendant', relation: 'diverged' });
    if (d.kind === 'not-descendant') expect(d.message).toContain(applied.slice(0, 12));
  });

  it('a commit signed by an OpenPGP key that has expired', async () => {
    await branch('expired');
    const sha = await expired.commit(clone, 'signed while the key was valid');
    expect(refusals(await verify(await publish('expired'), 'head'))).toEqual([
      `${sha}:expired-key`,
    ]);
  });

  it('a commit signed by an OpenPGP key that was revoked since', async () => {
    await branch('revoked');
    const sha = await revoked.commit(clone, 'signed before the revocation');
    expect(refusals(await verify(await publish('revoked'), 'head'))).toEqual([
      `${sha}:revoked-key`,
    ]);
  });
});

describe('commit verification accepts', () => {
  it.each(['gpg', 'ed25519', 'ecdsa', 'rsa'] as const)(
    'a commit signed with a trusted %s key',
    async (name) => {
      await branch(`signed-${name}`);
      const sha = await commit(`signed with ${name}`, signers[name]);
      const r = await verify(await publish(`signed-${name}`), 'head');
      expect(r).toMatchObject({
        kind: 'trusted',
        target: sha,
        via: 'commit',
        format: name === 'gpg' ? 'openpgp' : 'ssh',
      });
      if (r.kind === 'trusted') expect(r.signer).toContain(signers[name].identity.email);
    },
  );

  it('a signed merge, walking both sides in all mode', async () => {
    await branch('feature');
    const side = await commit('feature work', signers.ed25519);
    await publish('feature');
    await branch('merged');
    const main = await commit('main work', signers.gpg);
    const sign = signingInvocation(signers.gpg);
    await clone.git(
      [...sign.args, 'merge', '--quiet', '--no-ff', '--gpg-sign', '-m', 'merge feature', 'feature'],
      {
        env: sign.env,
      },
    );
    const merge = await publish('merged');
    const r = await verify(merge, 'all', { since: base });
    expect(r).toMatchObject({ kind: 'trusted', range: 'since' });
    if (r.kind === 'trusted')
      expect(r.commits.map((c) => c.sha).sort()).toEqual([merge, main, side].sort());
    expect(await source.checkDescends(remote, base, merge)).toMatchObject({ kind: 'fast-forward' });
  });

  it('a signed revert, which descends from what was applied', async () => {
    await branch('revert');
    await clone.writeFile('app/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n');
    const applied = await commit('rename to b', signers.gpg);
    const sign = signingInvocation(signers.ed25519);
    await clone.git([...sign.args, 'revert', '--no-edit', '--gpg-sign', 'HEAD'], { env: sign.env });
    const revert = await publish('revert');
    expect(await source.checkDescends(remote, applied, revert)).toMatchObject({
      kind: 'fast-forward',
    });
    expect(await verify(revert, 'all', { since: applied })).toMatchObject({
      kind: 'trusted',
      commits: [{ sha: revert }],
    });
  });

  it('a signed tag on an unsigned commit, when the target is the tag', async () => {
    await branch('tagged');
    const sha = await commit('released, not signed');
    await clone.tag('v1.0.0', { signer: signers.gpg, message: 'release 1.0.0' });
    await clone.push({ refspecs: ['HEAD:refs/heads/tagged', 'refs/tags/v1.0.0:refs/tags/v1.0.0'] });
    await source.fetch(remote);
    keys = await trusted();
    const target = (await source.resolve(remote, 'v1.0.0')).sha;
    expect(target).toBe(sha);
    expect(await verify(target, 'head', { ref: 'v1.0.0' })).toMatchObject({
      kind: 'trusted',
      via: 'tag',
    });
    expect(refusals(await verify(target, 'head'))).toEqual([`${sha}:unsigned`]);
  });
});
