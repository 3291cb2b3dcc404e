import { describe, expect, it } from 'vitest';
import { InvalidTrustedKeysError, trustedKeysFromDir, trustedKeysFromSecretData } from './keys.js';
import { fixture } from './testdata/fixtures.js';

const b64 = (name: string): string => fixture(name).toString('base64');

describe('trusted keys', () => {
  it('reads *.asc and *.pub entries of a Secret, ignoring other entries', async () => {
    const r = await trustedKeysFromSecretData(
      {
        'signer.asc': b64('signer.asc'),
        'team.pub': b64('allowed_signers'),
        'mallory.pub': b64('mallory.pub'),
        'README.md': Buffer.from('not a key').toString('base64'),
      },
      'Secret ns/keys',
    );
    if (r.kind !== 'ok') throw r.error;
    expect(r.value.openpgp).toHaveLength(1);
    expect(r.value.ssh.map((s) => s.principals)).toEqual([
      'mallory@example.com',
      'signer@example.com',
      'signer@example.com',
      'signer@example.com',
    ]);
  });

  it('names the entry that cannot be read, never its content', async () => {
    const r = await trustedKeysFromSecretData(
      { 'ops.asc': Buffer.from('hunter2').toString('base64') },
      'Secret ns/keys',
    );
    expect(r.kind).toBe('error');
    if (r.kind === 'error') {
      expect(r.error).toBeInstanceOf(InvalidTrustedKeysError);
      expect(r.error.message).toMatch(/^Secret ns\/keys: ops\.asc: /);
      expect(r.error.message).not.toContain('hunter2');
    }
  });

  it('refuses a key source with no keys at all', async () => {
    expect(await trustedKeysFromSecretData({}, 'Secret ns/keys')).toMatchObject({ kind: 'error' });
  });

  it('reads a directory of key files', async () => {
    const r = await trustedKeysFromDir(import.meta.dirname + '/testdata');
    expect(r).toMatchObject({ kind: 'ok' });
  });
});
