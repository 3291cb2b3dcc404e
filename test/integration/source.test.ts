import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { GitError, type GitRemote } from '../../src/source/git.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { tempDirs } from '../support/temp.js';

const token = `tok_${randomBytes(12).toString('hex')}`;
let server: GitServer;
let seed: WorkingClone;
let cache: string;
// Source caches hold 0555 checked-out trees; removeAll restores write permission to delete them.
const temp = tempDirs();
const shas: Record<string, string> = {};

beforeAll(async () => {
  server = await startGitServer({ auth: { users: [], tokens: [token] }, allowPush: true });
  await createBareRepo(server, 'apps');
  seed = await WorkingClone.clone({
    url: server.httpUrl('apps'),
    access: { kind: 'bearer', token },
  });
  await seed.writeFile('app/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n');
  shas.first = await seed.commit('first');
  await seed.tag('v1.0.0');
  await seed.writeFile('app/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n');
  shas.second = await seed.commit('second');
  await seed.tag('v1.1.0');
  await seed.writeFile('big/blob.bin', 'x'.repeat(200_000));
  shas.third = await seed.commit('a big file');
  await seed.push({ tags: true });
  cache = await temp.make('ballast-source-');
});

afterAll(async () => {
  try {
    await seed.remove();
    await server.stop();
  } finally {
    await temp.removeAll();
  }
});

// The test server speaks plain HTTP on loopback, so sending the token there is opted into.
const https = (): GitRemote => ({
  url: server.httpUrl('apps'),
  auth: { kind: 'token', token },
  insecureAllowHttpCredentials: true,
});

describe('git source', () => {
  it('fetches over HTTP with a token and resolves branch, tag and semver range to commits', async () => {
    const src = new GitSource(defaultSourceOptions(cache));
    await src.fetch(https());
    expect((await src.resolve(https(), 'main')).sha).toBe(shas.third);
    expect((await src.resolve(https(), 'v1.0.0')).sha).toBe(shas.first);
    expect((await src.resolve(https(), '^1.0.0')).sha).toBe(shas.second);
    expect((await src.resolve(https(), shas.first ?? '')).sha).toBe(shas.first);
  });

  it('materializes a commit read-only, and a second checkout of it reuses the tree', async () => {
    const src = new GitSource(defaultSourceOptions(cache));
    const tree = await src.checkout(https(), 'v1.0.0');
    expect(await readFile(join(tree.dir, 'app/cm.yaml'), 'utf8')).toContain('name: one');
    expect((await stat(join(tree.dir, 'app/cm.yaml'))).mode & 0o222).toBe(0);
    const again = await src.checkout(https(), shas.first ?? '');
    expect(again.dir).toBe(tree.dir);
  });

  it('shares one fetch among checkouts queued before it began, and fetches again for later ones', async () => {
    await createBareRepo(server, 'shared');
    const url = server.httpUrl('shared');
    const clone = await WorkingClone.clone({ url, access: { kind: 'bearer', token } });
    try {
      await clone.writeFile('a.yaml', 'a: 1\n');
      const first = await clone.commit('first');
      await clone.push();
      const remote: GitRemote = {
        url,
        auth: { kind: 'token', token },
        insecureAllowHttpCredentials: true,
      };
      const src = new GitSource(defaultSourceOptions(cache));
      const queuedAt = performance.now();
      const both = await Promise.all([
        src.checkout(remote, 'main', { freshAfter: queuedAt }),
        src.checkout(remote, 'main', { freshAfter: queuedAt }),
      ]);
      expect(both.map((t) => t.sha)).toEqual([first, first]);
      await clone.writeFile('a.yaml', 'a: 2\n');
      const second = await clone.commit('second');
      await clone.push();
      // Queued before the push: the fetch begun since then still serves it, without a new one.
      expect((await src.checkout(remote, 'main', { freshAfter: queuedAt })).sha).toBe(first);
      // Queued after the push (a webhook, a poll): it must see the new commit.
      expect((await src.checkout(remote, 'main', { freshAfter: performance.now() })).sha).toBe(
        second,
      );
    } finally {
      await clone.remove();
    }
  });

  it('fetches over SSH with strict host key checking', async () => {
    const ssh = server.sshClient;
    if (ssh === undefined) throw new Error('no ssh');
    const remote: GitRemote = {
      url: server.sshUrl('apps'),
      auth: {
        kind: 'ssh',
        privateKey: await readFile(ssh.keyFile, 'utf8'),
        knownHosts: await readFile(ssh.knownHostsFile, 'utf8'),
      },
    };
    const src = new GitSource(defaultSourceOptions(await temp.make('ballast-ssh-')));
    const tree = await src.checkout(remote, 'v1.1.0');
    expect(tree.sha).toBe(shas.second);
  });

  it('refuses a commit holding a file over the size limit, naming the file', async () => {
    const src = new GitSource({ ...defaultSourceOptions(cache), maxFileBytes: 100_000 });
    const err = await src.checkout(https(), 'main').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toMatch(
      /big\/blob\.bin .* is 200000 bytes, over the 100000-byte file limit/,
    );
  });

  it('names the repository and never the token when the credentials are wrong', async () => {
    const src = new GitSource(defaultSourceOptions(await temp.make('ballast-bad-')));
    const wrong = `tok_${randomBytes(12).toString('hex')}`;
    const err = await src
      .fetch({
        url: server.httpUrl('apps'),
        auth: { kind: 'token', token: wrong },
        insecureAllowHttpCredentials: true,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toContain(server.httpUrl('apps'));
    expect((err as Error).message).not.toContain(wrong);
  });

  it('fails fast with a clear error when the Git server is unreachable', async () => {
    const src = new GitSource({
      ...defaultSourceOptions(await temp.make('ballast-down-')),
      gitTimeoutMs: 10_000,
    });
    const t0 = Date.now();
    const err = await src
      .fetch({ url: 'http://127.0.0.1:9/nothing.git', auth: { kind: 'none' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toMatch(
      /^git fetch http:\/\/127\.0\.0\.1:9\/nothing\.git: .*(Connection refused|Failed to connect)/,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('refuses a URL with embedded credentials without echoing them', async () => {
    const src = new GitSource(defaultSourceOptions(cache));
    const err = await src
      .fetch({ url: 'https://bob:hunter2@example.invalid/r.git', auth: { kind: 'none' } })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/embeds credentials/);
    expect((err as Error).message).not.toContain('hunter2');
  });
});
