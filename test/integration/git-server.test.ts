import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessError } from '../../src/exec/run.js';
import {
  createBareRepo,
  createGpgSigner,
  createSshSigner,
  startGitServer,
  WorkingClone,
  type CommitSigner,
  type GitAccess,
  type GitServer,
  type SshClient,
} from '../../src/dev/git/index.js';
import { createGitSandbox, runGit } from '../../src/dev/git/gitenv.js';
import { descendants, isAlive } from '../../src/dev/git/proc.js';
import { gitSshCommand } from '../../src/dev/git/sshconfig.js';

const password = randomBytes(16).toString('hex');
const token = `tok_${randomBytes(16).toString('hex')}`;
const alice: GitAccess = { kind: 'basic', username: 'alice', password };
const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  k: v\n';

let server: GitServer;
const cleanups: (() => Promise<void>)[] = [];

/** A clone that is removed after the file's tests. */
async function cloneOf(url: string, access: GitAccess): Promise<WorkingClone> {
  const c = await WorkingClone.clone({ url, access });
  cleanups.push(() => c.remove());
  return c;
}

async function failureOf(p: Promise<unknown>): Promise<ProcessError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProcessError);
  return e as ProcessError;
}

function sshOf(s: GitServer): SshClient {
  if (s.sshClient === undefined) throw new Error('test server runs without SSH');
  return s.sshClient;
}

beforeAll(async () => {
  server = await startGitServer({
    auth: { users: [{ username: 'alice', password }], tokens: [token] },
    allowPush: true,
  });
  await createBareRepo(server, 'app');
  const seed = await cloneOf(server.httpUrl('app'), alice);
  await seed.writeFile('deploy/configmap.yaml', manifest);
  await seed.commit('Add the demo ConfigMap');
  await seed.push();
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await server.stop();
});

describe('local git server over HTTP', () => {
  it('clones a repo over HTTP with basic auth and refuses a wrong password', async () => {
    const c = await cloneOf(server.httpUrl('app'), alice);
    expect(await readFile(join(c.dir, 'deploy/configmap.yaml'), 'utf8')).toBe(manifest);

    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const err = await failureOf(
      WorkingClone.clone({
        url: server.httpUrl('app'),
        access: { kind: 'basic', username: 'alice', password: wrong },
      }),
    );
    expect(err.message).toMatch(/Authentication failed|terminal prompts disabled/);
    expect(err.message).not.toContain(wrong);
  });

  it('answers 401 with a Basic challenge when a request carries no credentials', async () => {
    const r = await fetch(`${server.httpUrl('app')}/info/refs?service=git-upload-pack`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm=/);

    const err = await failureOf(
      WorkingClone.clone({ url: server.httpUrl('app'), access: { kind: 'anonymous' } }),
    );
    expect(err.message).toMatch(/terminal prompts disabled|Authentication failed/);
  });

  it('accepts a token as a Bearer header or as the Basic password, as GitHub does', async () => {
    const r = await fetch(`${server.httpUrl('app')}/info/refs?service=git-upload-pack`, {
      headers: { Authorization: `Bearer ${token}`, 'Git-Protocol': 'version=2' },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
    expect(await r.text()).toContain('version 2');

    const bearer = await cloneOf(server.httpUrl('app'), { kind: 'bearer', token });
    const basic = await cloneOf(server.httpUrl('app'), {
      kind: 'basic',
      username: 'x-access-token',
      password: token,
    });
    expect(await bearer.head()).toBe(await basic.head());
  });

  it('answers the 401 challenge when the credentials are only in the clone URL', async () => {
    const sandbox = await createGitSandbox();
    cleanups.push(() => rm(sandbox.dir, { recursive: true, force: true }));
    const url = server.httpUrl('app').replace('http://', `http://alice:${password}@`);
    const r = await runGit(['clone', '--quiet', url, join(sandbox.dir, 'work')], {
      env: sandbox.env,
      redact: [password],
      timeoutMs: 60_000,
    });
    expect(r.kind).toBe('ok');
  });

  it("pushes a commit larger than git's post buffer, sent as a chunked request body", async () => {
    const c = await cloneOf(server.httpUrl('app'), alice);
    await c.writeFile('big.bin', randomBytes(3 * 1024 * 1024));
    const sha = await c.commit('A blob bigger than http.postBuffer');
    await c.push();
    const again = await cloneOf(server.httpUrl('app'), { kind: 'bearer', token });
    expect(await again.head()).toBe(sha);
  });

  it('serves an upload-pack request whose body is gzip-compressed', async () => {
    const c = await cloneOf(server.httpUrl('app'), alice);
    const want = await c.head();
    const pkt = (line: string): string =>
      `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
    const body = gzipSync(`${pkt(`want ${want} ofs-delta\n`)}0000${pkt('done\n')}`);
    const r = await fetch(`${server.httpUrl('app')}/git-upload-pack`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/x-git-upload-pack-request',
        'Content-Encoding': 'gzip',
      },
      body,
    });
    expect(r.status).toBe(200);
    const reply = Buffer.from(await r.arrayBuffer());
    expect(reply.subarray(0, 8).toString()).toBe('0008NAK\n');
    expect(reply.indexOf('PACK')).toBe(8);
  });

  it('refuses pushes over HTTP and SSH when the server is read-only', async () => {
    const readOnly = await startGitServer();
    try {
      await createBareRepo(readOnly, 'ro');
      const viaHttp = await cloneOf(readOnly.httpUrl('ro'), { kind: 'anonymous' });
      await viaHttp.writeFile('a.txt', 'a\n');
      await viaHttp.commit('one');
      expect((await failureOf(viaHttp.push())).message).toMatch(/403/);

      const viaSsh = await cloneOf(readOnly.sshUrl('ro'), { kind: 'ssh', client: sshOf(readOnly) });
      await viaSsh.writeFile('a.txt', 'a\n');
      await viaSsh.commit('one');
      expect((await failureOf(viaSsh.push())).message).toMatch(/only allows git fetch/);
    } finally {
      await readOnly.stop();
    }
  });
});

describe('local git server over SSH', () => {
  it('clones and pushes over SSH with strict host key checking', async () => {
    const ssh: GitAccess = { kind: 'ssh', client: sshOf(server) };
    const c = await cloneOf(server.sshUrl('app'), ssh);
    expect(await readFile(join(c.dir, 'deploy/configmap.yaml'), 'utf8')).toBe(manifest);
    await c.writeFile('deploy/second.yaml', manifest.replace('demo', 'second'));
    const pushed = await c.commit('Add a second ConfigMap');
    await c.push();

    const viaHttp = await cloneOf(server.httpUrl('app'), alice);
    expect(await viaHttp.head()).toBe(pushed);
  });

  it('refuses an SSH server whose host key is not in known_hosts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-kh-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const emptyKnownHosts = join(dir, 'known_hosts');
    await writeFile(emptyKnownHosts, '');
    const command = gitSshCommand({ ...sshOf(server), knownHostsFile: emptyKnownHosts });
    const err = await failureOf(
      WorkingClone.clone({
        url: server.sshUrl('app'),
        access: { kind: 'ssh', client: { env: { GIT_SSH_COMMAND: command } } },
      }),
    );
    expect(err.message).toMatch(/Host key verification failed/);
  });

  it('stop() ends sshd and every process it started, open sessions included', async () => {
    const s = await startGitServer({ allowPush: true });
    await createBareRepo(s, 'x');
    const c = sshOf(s);
    // A session that stays open: upload-pack advertises, then waits on stdin, which we hold open.
    // Spawned directly because it must still be running when the server stops.
    const session = spawn(
      'ssh',
      [
        ...c.command.split(' ').slice(1),
        `${c.user}@127.0.0.1`,
        `git-upload-pack '${s.root}/x.git'`,
      ],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    const sessionClosed = once(session, 'close');
    const [sshd] = s.pids();
    expect(sshd).toBeDefined();
    await expect.poll(() => descendants(sshd ?? 0).length, { timeout: 20_000 }).toBeGreaterThan(1);
    const tree = [sshd ?? 0, ...descendants(sshd ?? 0)];

    await s.stop();
    expect(tree.filter((p) => isAlive(p))).toEqual([]);
    expect(s.pids()).toEqual([]);
    await sessionClosed;
  });
});

describe('signed commits', () => {
  async function signedCommit(signer: CommitSigner): Promise<{ c: WorkingClone; sha: string }> {
    cleanups.push(() => signer.remove());
    const c = await cloneOf(server.httpUrl('app'), alice);
    await c.writeFile(`signed-${signer.kind}.txt`, `${signer.kind}\n`);
    const sha = await c.commit(`A commit signed with ${signer.kind}`, { signer });
    return { c, sha };
  }

  it('signs a commit with a generated GPG key and git verify-commit accepts it', async () => {
    const signer = await createGpgSigner();
    const { c, sha } = await signedCommit(signer);
    const raw = await c.catCommit(sha);
    expect(raw).toMatch(/^gpgsig -----BEGIN PGP SIGNATURE-----$/m);
    const v = await c.verifyCommit(sha, signer);
    expect(v.kind).toBe('verified');
    expect(v.output).toMatch(/Good signature/);
    expect(signer.publicKeyArmored).toMatch(/BEGIN PGP PUBLIC KEY BLOCK/);
  });

  it('signs a commit with an SSH key and git verify-commit accepts it against allowed signers', async () => {
    const signer = await createSshSigner();
    const { c, sha } = await signedCommit(signer);
    const raw = await c.catCommit(sha);
    expect(raw).toMatch(/^gpgsig -----BEGIN SSH SIGNATURE-----$/m);
    const v = await c.verifyCommit(sha, signer);
    expect(v.kind).toBe('verified');
    expect(v.output).toMatch(/Good "git" signature/);

    const stranger = await createSshSigner();
    cleanups.push(() => stranger.remove());
    expect((await c.verifyCommit(sha, stranger)).kind).toBe('rejected');
  });
});
