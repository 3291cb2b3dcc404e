import { describe, expect, it } from 'vitest';
import {
  allowedSignersLine,
  gpgKeyParams,
  parseColonFingerprint,
  signingInvocation,
  type SshSigner,
} from './signing.js';

describe('gpgKeyParams', () => {
  it('asks for an unprotected ed25519 signing key for the identity', () => {
    const p = gpgKeyParams({ name: 'Ann', email: 'ann@example.invalid' });
    expect(p.split('\n')).toEqual(
      expect.arrayContaining([
        '%no-protection',
        'Key-Curve: ed25519',
        'Name-Email: ann@example.invalid',
        '%commit',
      ]),
    );
  });
});

describe('parseColonFingerprint', () => {
  it('takes the primary key fingerprint, not a subkey one', () => {
    const colons = [
      'sec:u:255:22:AAAA:1:::u:::scESC:::+:::23::0:',
      'fpr:::::::::1111111111111111111111111111111111111111:',
      'uid:u::::1::X::Ann <ann@example.invalid>::::::::::0:',
      'ssb:u:255:18:BBBB:1::::::e:::+:::23:',
      'fpr:::::::::2222222222222222222222222222222222222222:',
    ].join('\n');
    expect(parseColonFingerprint(colons)).toBe('1111111111111111111111111111111111111111');
  });

  it('returns undefined when there is no key', () => {
    expect(parseColonFingerprint('')).toBeUndefined();
  });
});

describe('ssh signing', () => {
  it('writes an allowed-signers line limited to the git namespace', () => {
    expect(allowedSignersLine('ann@example.invalid', 'ssh-ed25519 AAAA comment')).toBe(
      'ann@example.invalid namespaces="git" ssh-ed25519 AAAA\n',
    );
  });

  it('signs in ssh format with the public key file', () => {
    const signer: SshSigner = {
      kind: 'ssh',
      privateKeyFile: '/k/id',
      publicKeyFile: '/k/id.pub',
      publicKey: 'ssh-ed25519 AAAA',
      allowedSignersFile: '/k/allowed',
      identity: { name: 'Ann', email: 'ann@example.invalid' },
      remove: () => Promise.resolve(),
    };
    expect(signingInvocation(signer).args).toEqual([
      '-c',
      'gpg.format=ssh',
      '-c',
      'user.signingkey=/k/id.pub',
    ]);
  });
});
