import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOrThrow } from '../../exec/run.js';
import { defaultGitIdentity, type GitIdentity } from './gitenv.js';

/** A key that could not be created or read. The message never holds key material. */
export class SigningError extends Error {
  override readonly name = 'SigningError';
  constructor(
    readonly signer: 'gpg' | 'ssh',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${signer} signing key: ${message}`, options);
  }
}

/** An OpenPGP key without passphrase in its own temporary GNUPGHOME. */
export interface GpgSigner {
  kind: 'gpg';
  /** The GNUPGHOME holding the key (and gpg-agent's socket). */
  gnupgHome: string;
  /** Full fingerprint, used as user.signingkey. */
  fingerprint: string;
  /** The name and email in the key's user id. */
  identity: GitIdentity;
  /** ASCII-armored public key, for a verifier's keyring. */
  publicKeyArmored: string;
  /** Stops gpg-agent and deletes GNUPGHOME. */
  remove: () => Promise<void>;
}

/** An ed25519 SSH key for `gpg.format=ssh`, with an allowed-signers file that trusts it. */
export interface SshSigner {
  kind: 'ssh';
  privateKeyFile: string;
  publicKeyFile: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicKey: string;
  /** `<email> namespaces="git" <key>`, for gpg.ssh.allowedSignersFile. */
  allowedSignersFile: string;
  identity: GitIdentity;
  remove: () => Promise<void>;
}

export type CommitSigner = GpgSigner | SshSigner;

/** How a signing key is made. */
export interface SignerOptions {
  /** User id of the key; commit with the same identity so verifiers can match them. */
  identity: GitIdentity;
  /** Kill gpg or ssh-keygen after this many milliseconds. */
  timeoutMs: number;
}

export function defaultSignerOptions(): SignerOptions {
  return { identity: defaultGitIdentity(), timeoutMs: 60_000 };
}

/** The `gpg --gen-key` parameter file: an ed25519 signing key that never expires, no passphrase. */
export function gpgKeyParams(id: GitIdentity): string {
  return [
    '%no-protection',
    'Key-Type: eddsa',
    'Key-Curve: ed25519',
    'Key-Usage: sign',
    `Name-Real: ${id.name}`,
    `Name-Email: ${id.email}`,
    'Expire-Date: 0',
    '%commit',
    '',
  ].join('\n');
}

/** The first primary-key fingerprint in `gpg --with-colons` output. */
export function parseColonFingerprint(colons: string): string | undefined {
  let inPrimary = false;
  for (const line of colons.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === 'sec' || fields[0] === 'pub') inPrimary = true;
    else if (fields[0] === 'ssb' || fields[0] === 'sub') inPrimary = false;
    else if (fields[0] === 'fpr' && inPrimary && /^[0-9A-F]{40,64}$/.test(fields[9] ?? '')) {
      return fields[9];
    }
  }
  return undefined;
}

/** Creates a temporary GNUPGHOME with a fresh, unprotected ed25519 signing key. */
export async function createGpgSigner(partial: Partial<SignerOptions> = {}): Promise<GpgSigner> {
  const opts = { ...defaultSignerOptions(), ...partial };
  // mkdtemp makes the directory 0700, which gpg insists on.
  const gnupgHome = await mkdtemp(join(tmpdir(), 'ballast-gpg-'));
  const env = { GNUPGHOME: gnupgHome };
  const gpg = (what: string, args: string[], stdin?: string): Promise<Buffer> =>
    runOrThrow(`gpg ${what}`, 'gpg', ['--batch', ...args], {
      env,
      timeoutMs: opts.timeoutMs,
      ...(stdin === undefined ? {} : { stdin }),
    });
  const remove = async (): Promise<void> => {
    // gpg leaves gpg-agent running in GNUPGHOME; it would outlive the test otherwise.
    await run('gpgconf', ['--kill', 'all'], { env, timeoutMs: 10_000 });
    await rm(gnupgHome, { recursive: true, force: true });
  };
  try {
    await gpg('(generate key)', ['--gen-key'], gpgKeyParams(opts.identity));
    const colons = await gpg('(list keys)', ['--with-colons', '--list-secret-keys']);
    const fingerprint = parseColonFingerprint(colons.toString('utf8'));
    if (fingerprint === undefined) throw new SigningError('gpg', 'no fingerprint after --gen-key');
    const armored = await gpg('(export public key)', ['--armor', '--export', fingerprint]);
    const publicKeyArmored = armored.toString('utf8');
    return {
      kind: 'gpg',
      gnupgHome,
      fingerprint,
      identity: opts.identity,
      publicKeyArmored,
      remove,
    };
  } catch (e) {
    await remove();
    if (e instanceof SigningError) throw e;
    throw new SigningError('gpg', 'could not be created', { cause: e });
  }
}

/** Creates an ed25519 SSH key without passphrase and an allowed-signers file for it. */
export async function createSshSigner(partial: Partial<SignerOptions> = {}): Promise<SshSigner> {
  const opts = { ...defaultSignerOptions(), ...partial };
  const dir = await mkdtemp(join(tmpdir(), 'ballast-sshsig-'));
  const privateKeyFile = join(dir, 'signing_ed25519');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await runOrThrow(
      'ssh-keygen (generate signing key)',
      'ssh-keygen',
      ['-q', '-t', 'ed25519', '-N', '', '-C', opts.identity.email, '-f', privateKeyFile],
      { timeoutMs: opts.timeoutMs },
    );
    const publicKeyFile = `${privateKeyFile}.pub`;
    const publicKey = (await readFile(publicKeyFile, 'utf8')).trim();
    const allowedSignersFile = join(dir, 'allowed_signers');
    await writeFile(allowedSignersFile, allowedSignersLine(opts.identity.email, publicKey));
    return {
      kind: 'ssh',
      privateKeyFile,
      publicKeyFile,
      publicKey,
      allowedSignersFile,
      identity: opts.identity,
      remove,
    };
  } catch (e) {
    await remove();
    throw new SigningError('ssh', 'could not be created', { cause: e });
  }
}

/** One line of an OpenSSH allowed-signers file, limited to git's signature namespace. */
export function allowedSignersLine(principal: string, publicKey: string): string {
  const [type, key] = publicKey.trim().split(/\s+/);
  return `${principal} namespaces="git" ${type ?? ''} ${key ?? ''}\n`;
}

/** Extra git arguments and environment for one command. */
export interface GitInvocation {
  args: string[];
  env: Record<string, string>;
}

/** What `git commit -S` / `git tag -s` needs to sign with this key. */
export function signingInvocation(s: CommitSigner): GitInvocation {
  switch (s.kind) {
    case 'gpg':
      return {
        args: [
          '-c',
          'gpg.format=openpgp',
          '-c',
          'gpg.program=gpg',
          '-c',
          `user.signingkey=${s.fingerprint}`,
        ],
        env: { GNUPGHOME: s.gnupgHome },
      };
    case 'ssh':
      // The public key file, as git documents; ssh-keygen -Y sign finds the private half beside
      // it (same name without .pub), so no ssh-agent is needed.
      return {
        args: ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${s.publicKeyFile}`],
        env: {},
      };
  }
}

/** What `git verify-commit` / `git verify-tag` needs to trust this key. */
export function verificationInvocation(s: CommitSigner): GitInvocation {
  switch (s.kind) {
    case 'gpg':
      return { args: ['-c', 'gpg.program=gpg'], env: { GNUPGHOME: s.gnupgHome } };
    case 'ssh':
      return {
        args: ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${s.allowedSignersFile}`],
        env: {},
      };
  }
}
