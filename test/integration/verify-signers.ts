import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOrThrow } from '../../src/exec/run.js';
import {
  allowedSignersLine,
  createGpgSigner,
  defaultSignerOptions,
  type SshSigner,
} from '../../src/dev/git/signing.js';
import type { WorkingClone } from '../../src/dev/git/index.js';

/** An OpenPGP key that cannot be made with createGpgSigner: expired, or revoked. */
export interface SpecialGpgKey {
  fingerprint: string;
  publicKeyArmored: string;
  /** Makes a signed empty commit with this key and returns its SHA. */
  commit: (clone: WorkingClone, message: string) => Promise<string>;
  remove: () => Promise<void>;
}

const gpgTime = (d: Date): string => d.toISOString().replace(/[-:]/g, '').slice(0, 15);

async function signedCommit(
  clone: WorkingClone,
  message: string,
  program: string,
  fingerprint: string,
  gnupgHome: string,
): Promise<string> {
  await clone.git(
    [
      '-c',
      'gpg.format=openpgp',
      '-c',
      `gpg.program=${program}`,
      '-c',
      `user.signingkey=${fingerprint}!`,
      'commit',
      '--quiet',
      '--allow-empty',
      '--gpg-sign',
      '--message',
      message,
    ],
    { env: { GNUPGHOME: gnupgHome } },
  );
  return clone.head();
}

/**
 * A key made 30 days ago (gpg --faked-system-time) that expired a day later. Commits are signed
 * inside that day through a gpg.program wrapper faking the time, as a signer would have then.
 */
export async function createExpiredGpgKey(email: string): Promise<SpecialGpgKey> {
  const home = await mkdtemp(join(tmpdir(), 'ballast-gpg-expired-'));
  const env = { GNUPGHOME: home };
  const born = new Date(Date.now() - 30 * 86_400_000);
  const signedAt = new Date(born.getTime() + 12 * 3_600_000);
  const gpg = (args: string[]): Promise<Buffer> =>
    runOrThrow(
      'gpg',
      'gpg',
      ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
      {
        env,
        timeoutMs: 60_000,
      },
    );
  await gpg([
    '--faked-system-time',
    gpgTime(born),
    '--quick-gen-key',
    `Expired <${email}>`,
    'ed25519',
    'sign',
    '1d',
  ]);
  const colons = (await gpg(['--with-colons', '--list-keys', email])).toString();
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1] ?? '';
  const publicKeyArmored = (await gpg(['--armor', '--export', fingerprint])).toString();
  const wrapper = join(home, 'gpg-then');
  await writeFile(wrapper, `#!/bin/sh\nexec gpg --faked-system-time ${gpgTime(signedAt)} "$@"\n`);
  await chmod(wrapper, 0o755);
  return {
    fingerprint,
    publicKeyArmored,
    commit: (clone, message) => signedCommit(clone, message, wrapper, fingerprint, home),
    remove: async () => {
      await run('gpgconf', ['--kill', 'all'], { env, timeoutMs: 10_000 });
      await rm(home, { recursive: true, force: true });
    },
  };
}

/**
 * A key whose revocation certificate (the one gpg writes at key generation) is imported after
 * signing: the public key handed to the verifier carries the revocation.
 */
export async function createRevokedGpgKey(email: string): Promise<SpecialGpgKey> {
  const s = await createGpgSigner({ identity: { name: 'Revoked', email } });
  const env = { GNUPGHOME: s.gnupgHome };
  let armored = s.publicKeyArmored;
  return {
    fingerprint: s.fingerprint,
    get publicKeyArmored() {
      return armored;
    },
    commit: async (clone, message) => {
      const sha = await signedCommit(clone, message, 'gpg', s.fingerprint, s.gnupgHome);
      const cert = await readFile(
        join(s.gnupgHome, 'openpgp-revocs.d', `${s.fingerprint}.rev`),
        'utf8',
      );
      // gpg prefixes the armor line with ':' so the certificate is not imported by accident.
      const rev = cert.replace(/^:-----BEGIN/m, '-----BEGIN');
      await runOrThrow('gpg import revocation', 'gpg', ['--batch', '--import'], {
        env,
        stdin: rev,
        timeoutMs: 60_000,
      });
      armored = (
        await runOrThrow('gpg export', 'gpg', ['--batch', '--armor', '--export', s.fingerprint], {
          env,
          timeoutMs: 60_000,
        })
      ).toString();
      return sha;
    },
    remove: () => s.remove(),
  };
}

/** An SSH signer of any type ssh-keygen makes (createSshSigner makes ed25519 only). */
export async function createSshSignerOfType(
  type: 'ecdsa' | 'rsa',
  email: string,
): Promise<SshSigner> {
  const dir = await mkdtemp(join(tmpdir(), `ballast-sshsig-${type}-`));
  const privateKeyFile = join(dir, `signing_${type}`);
  const bits = type === 'ecdsa' ? ['-b', '256'] : ['-b', '3072'];
  await runOrThrow(
    'ssh-keygen',
    'ssh-keygen',
    ['-q', '-t', type, ...bits, '-N', '', '-C', email, '-f', privateKeyFile],
    {
      timeoutMs: 60_000,
    },
  );
  const publicKey = (await readFile(`${privateKeyFile}.pub`, 'utf8')).trim();
  const allowedSignersFile = join(dir, 'allowed_signers');
  await writeFile(allowedSignersFile, allowedSignersLine(email, publicKey));
  return {
    kind: 'ssh',
    privateKeyFile,
    publicKeyFile: `${privateKeyFile}.pub`,
    publicKey,
    allowedSignersFile,
    identity: { ...defaultSignerOptions().identity, email },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
