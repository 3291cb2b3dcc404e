import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createBareRepo,
  createGpgSigner,
  createSshSigner,
  startGitServer,
  WorkingClone,
  type GpgSigner,
  type GitServer,
  type SshSigner,
} from '../../src/dev/git/index.js';
import { allowedSignersLine } from '../../src/dev/git/signing.js';
import { toolPath } from '../../src/dev/paths.js';
import { runOrThrow } from '../../src/exec/run.js';
import { runCli, type CliResult } from '../support/cli.js';

const token = `tok_${randomBytes(12).toString('hex')}`;
const ns = `verify-${randomBytes(3).toString('hex')}`;
let server: GitServer;
let clone: WorkingClone;
let gpg: GpgSigner;
let ssh: SshSigner;
let dir: string;
let keysDir: string;
let tokenFile: string;
let kubeconfig: string;
const shas: Record<string, string> = {};

const ballast = (...args: string[]): Promise<CliResult> =>
  runCli(['verify-commit', ...args], { env: { XDG_CACHE_HOME: join(dir, 'cache') } });

const kubectl = (...args: string[]): Promise<Buffer> =>
  runOrThrow('kubectl', toolPath('kubectl'), args, {
    env: { KUBECONFIG: kubeconfig },
    timeoutMs: 60_000,
  });

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  dir = await mkdtemp(join(tmpdir(), 'ballast-verify-cli-'));
  server = await startGitServer({ auth: { users: [], tokens: [token] }, allowPush: true });
  await createBareRepo(server, 'cli');
  [gpg, ssh] = await Promise.all([createGpgSigner(), createSshSigner()]);
  clone = await WorkingClone.clone({
    url: server.httpUrl('cli'),
    access: { kind: 'bearer', token },
    dir: join(dir, 'clone'),
  });
  await clone.writeFile('a.txt', 'a\n');
  shas.base = await clone.commit('base', { signer: gpg });
  shas.main = await clone.commit('second', { signer: ssh, allowEmpty: true });
  await clone.push();
  await clone.git(['checkout', '--quiet', '-b', 'unsigned']);
  shas.unsigned = await clone.commit('not signed', { allowEmpty: true });
  await clone.push({ refspecs: ['HEAD:refs/heads/unsigned'] });
  await clone.git(['checkout', '--quiet', 'main']);

  keysDir = join(dir, 'keys');
  await mkdir(keysDir);
  await writeFile(join(keysDir, 'team.asc'), gpg.publicKeyArmored);
  await writeFile(
    join(keysDir, 'allowed_signers'),
    allowedSignersLine(ssh.identity.email, ssh.publicKey),
  );
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, token);
});

afterAll(async () => {
  await kubectl('delete', 'namespace', ns, '--ignore-not-found', '--wait=false');
  await clone.remove();
  await gpg.remove();
  await ssh.remove();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const repoArgs = (): string[] => [
  '--repo',
  server.httpUrl('cli'),
  '--git-token-file',
  tokenFile,
  '--insecure-allow-http-credentials',
];

describe('ballast verify-commit', () => {
  it('exits 0 and names the signer when the branch head is signed by a trusted key', async () => {
    const r = await ballast(...repoArgs(), '--ref', 'main', '--keys', keysDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`TRUSTED ${shas.main?.slice(0, 12) ?? ''} (main): mode head`);
    expect(r.stdout).toContain(ssh.identity.email);
  });

  it('exits 1 naming the unsigned commit and its author', async () => {
    const r = await ballast(
      ...repoArgs(),
      '--ref',
      'unsigned',
      '--keys',
      keysDir,
      '--mode',
      'all',
      '--since',
      shas.base ?? '',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('REFUSED (VerificationFailed)');
    expect(r.stdout).toContain(`commit ${shas.unsigned?.slice(0, 12) ?? ''} by Ballast Test`);
    expect(r.stdout).toContain('not signed');
  });

  it('exits 1 with NonFastForward when the target is older than --since', async () => {
    const r = await ballast(
      ...repoArgs(),
      '--ref',
      shas.base ?? '',
      '--keys',
      keysDir,
      '--since',
      shas.main ?? '',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('REFUSED (NonFastForward)');
  });

  it('verifies a local clone (--dir) in all mode and prints the result as JSON', async () => {
    const r = await ballast(
      '--dir',
      clone.dir,
      '--ref',
      'main',
      '--keys',
      keysDir,
      '--mode',
      'all',
      '--since',
      shas.base ?? '',
      '-o',
      'json',
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { kind: string; commits: { sha: string }[] };
    expect(result.kind).toBe('trusted');
    expect(result.commits.map((c) => c.sha)).toEqual([shas.main]);
  });

  it('reads the trusted keys from a Secret (--keys-secret NAMESPACE/NAME)', async () => {
    await kubectl('create', 'namespace', ns);
    await kubectl(
      '-n',
      ns,
      'create',
      'secret',
      'generic',
      'signers',
      `--from-file=team.asc=${join(keysDir, 'team.asc')}`,
      `--from-file=allowed_signers=${join(keysDir, 'allowed_signers')}`,
    );
    const r = await ballast(
      ...repoArgs(),
      '--ref',
      'main',
      '--keys-secret',
      `${ns}/signers`,
      '--kubeconfig',
      kubeconfig,
    );
    expect(r.code).toBe(0);
    const missing = await ballast(
      ...repoArgs(),
      '--ref',
      'main',
      '--keys-secret',
      `${ns}/nope`,
      '--kubeconfig',
      kubeconfig,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no Secret ${ns}/nope`);
  });

  it('exits 2, not 1, on usage errors and unreadable keys', async () => {
    expect(
      (await ballast('--dir', clone.dir, '--ref', 'main', '--keys', keysDir, '--bogus')).code,
    ).toBe(2);
    expect((await ballast('--dir', clone.dir, '--ref', 'main')).code).toBe(2);
    expect(
      (await ballast('--dir', clone.dir, '--ref', 'no-such-ref', '--keys', keysDir)).code,
    ).toBe(2);
    const bad = join(dir, 'bad-keys');
    await mkdir(bad);
    await writeFile(join(bad, 'x.asc'), 'not a key');
    const r = await ballast('--dir', clone.dir, '--ref', 'main', '--keys', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('x.asc: not an armored OpenPGP public key');
  });
});
