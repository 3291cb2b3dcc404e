import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { removeTree } from '../../src/fs/remove.js';
import { GitError, type GitRemote } from '../../src/source/git.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { tempDirs } from '../support/temp.js';

/** Issue 15, finding 9: fetches have a size limit, and an SSH key never touches the disk. */
let server: GitServer;
const temp = tempDirs();

/** A repository on the test server holding `files`, each of `bytes` random (incompressible) bytes. */
async function repoOf(name: string, files: number, bytes: number): Promise<GitRemote> {
  await createBareRepo(server, name);
  const clone = await WorkingClone.clone({
    url: server.httpUrl(name),
    access: { kind: 'anonymous' },
  });
  try {
    for (let i = 0; i < files; i++) await clone.writeFile(`f/${i}.bin`, randomBytes(bytes));
    await clone.commit(`${files} files`);
    await clone.push();
  } finally {
    await clone.remove();
  }
  return { url: server.httpUrl(name), auth: { kind: 'none' } };
}

beforeAll(async () => {
  server = await startGitServer({ auth: { users: [], tokens: [] }, allowPush: true });
});

afterAll(async () => {
  try {
    await server.stop();
  } finally {
    await temp.removeAll();
  }
});

const leftovers = async (cache: string): Promise<string[]> => {
  const mirrors = join(cache, 'mirrors');
  const out: string[] = [];
  for (const m of await readdir(mirrors)) {
    if (!m.endsWith('.git')) continue;
    const packs = await readdir(join(mirrors, m, 'objects', 'pack')).catch(() => []);
    out.push(...packs.filter((p) => p.startsWith('tmp_')));
  }
  return out;
};

describe('fetch size limits', () => {
  it('a repository over the byte limit is refused while it downloads, and leaves no partial pack', async () => {
    const remote = await repoOf('big', 1, 3 * 1024 * 1024);
    const cache = await temp.make('ballast-limit-');
    const src = new GitSource({ ...defaultSourceOptions(cache), maxRepoBytes: 1024 * 1024 });
    const err = await src.checkout(remote, 'main').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toMatch(
      /^git fetch http:\/\/.*\/big\.git: the repository holds at least \d+ bytes, over the 1048576-byte limit; refused/,
    );
    expect(await leftovers(cache)).toEqual([]);
    // Under a limit it fits, the same repository is fetched.
    const roomy = new GitSource({ ...defaultSourceOptions(cache), maxRepoBytes: 8 * 1024 * 1024 });
    expect((await roomy.checkout(remote, 'main')).sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a repository over the object limit is refused from its pack header', async () => {
    const remote = await repoOf('many', 300, 16);
    const src = new GitSource({
      ...defaultSourceOptions(await temp.make('ballast-objects-')),
      maxRepoObjects: 100,
    });
    const err = await src.checkout(remote, 'main').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/holds 30\d objects, over the 100-object limit/);
  });
});

describe('the SSH private key', () => {
  let watcher: FSWatcher | undefined;
  afterAll(() => {
    watcher?.close();
  });

  it('an SSH fetch keeps the private key on tmpfs, never in the disk-backed temp dir, and removes it after', async () => {
    const ssh = server.sshClient;
    if (ssh === undefined) throw new Error('the test Git server has no sshd');
    await createBareRepo(server, 'by-ssh');
    const clone = await WorkingClone.clone({
      url: server.httpUrl('by-ssh'),
      access: { kind: 'anonymous' },
    });
    await clone.writeFile('a.yaml', 'a: 1\n');
    await clone.commit('one');
    await clone.push();
    await clone.remove();

    // git and ssh inherit TMPDIR; anything the fetch writes there is seen.
    const diskTmp = await temp.make('ballast-disk-tmp-');
    const cache = await temp.make('ballast-ssh-cache-');
    const keyDir = await mkdtemp('/dev/shm/ballast-test-keys-');
    const created: string[] = [];
    watcher = watch(diskTmp, { recursive: true }, (_event, name) => {
      if (name !== null) created.push(name);
    });
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = diskTmp;
    try {
      const src = new GitSource({ ...defaultSourceOptions(cache), keyDir });
      const tree = await src.checkout(
        {
          url: server.sshUrl('by-ssh'),
          auth: {
            kind: 'ssh',
            privateKey: await readFile(ssh.keyFile, 'utf8'),
            knownHosts: await readFile(ssh.knownHostsFile, 'utf8'),
          },
        },
        'main',
      );
      expect(tree.sha).toMatch(/^[0-9a-f]{40}$/);
      expect(await readdir(keyDir)).toEqual([]);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      await removeTree(keyDir);
    }
    expect(created).toEqual([]);
  });

  it('an SSH key is refused, not written, when the key dir is not a tmpfs', async () => {
    const ssh = server.sshClient;
    if (ssh === undefined) throw new Error('the test Git server has no sshd');
    const onDisk = await temp.make('ballast-not-tmpfs-');
    const src = new GitSource({
      ...defaultSourceOptions(await temp.make('ballast-ssh-cache-')),
      keyDir: onDisk,
    });
    const err = await src
      .fetch({
        url: server.sshUrl('by-ssh'),
        auth: {
          kind: 'ssh',
          privateKey: await readFile(ssh.keyFile, 'utf8'),
          knownHosts: await readFile(ssh.knownHostsFile, 'utf8'),
        },
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain(
      `the SSH private key must stay in memory, and ${onDisk} is not a tmpfs`,
    );
    expect(await readdir(onDisk)).toEqual([]);
  });
});
