import { beforeAll, describe, expect, it } from 'vitest';
import { keysFrom, signed } from './testdata/fixtures.js';
import { OpenPgpVerifier } from './openpgp.js';
import { SshVerifier } from './ssh.js';
import type { SignatureVerifier, TrustedKeys } from './types.js';

interface ContractCase {
  name: string;
  make: (keys: TrustedKeys) => SignatureVerifier;
  /** A commit signed by the trusted signer, and one signed by mallory. */
  good: string;
  untrusted: string;
  /** A signature of the other format, which this verifier must not claim. */
  foreign: string;
}

const cases: ContractCase[] = [
  {
    name: 'OpenPGP',
    make: (k) => new OpenPgpVerifier(k.openpgp),
    good: 'commit-openpgp.txt',
    untrusted: 'commit-openpgp-untrusted.txt',
    foreign: 'commit-ssh-ed25519.txt',
  },
  {
    name: 'SSH',
    make: (k) => new SshVerifier(k.ssh),
    good: 'commit-ssh-ed25519.txt',
    untrusted: 'commit-ssh-mallory.txt',
    foreign: 'commit-openpgp.txt',
  },
];

const now = new Date();

describe.each(cases)('signature verifier contract: $name', (c) => {
  let verifier: SignatureVerifier;
  beforeAll(async () => {
    verifier = c.make(await keysFrom(['signer@example.com']));
  });

  it('accepts a commit signed by a trusted key and names the signer and fingerprint', async () => {
    const s = signed(c.good);
    expect(verifier.accepts(s.signature)).toBe(true);
    const r = await verifier.verify(s.payload, s.signature, now);
    expect(r).toMatchObject({ kind: 'trusted', format: verifier.format });
    if (r.kind !== 'trusted') return;
    expect(r.signer).toContain('signer@example.com');
    expect(r.fingerprint).not.toBe('');
  });

  it('refuses a commit signed by a key that is not trusted', async () => {
    const s = signed(c.untrusted);
    expect(await verifier.verify(s.payload, s.signature, now)).toMatchObject({
      kind: 'refused',
      reason: 'untrusted-key',
    });
  });

  it('refuses a forged commit whose content changed after signing', async () => {
    const s = signed(c.good);
    const forged = Buffer.from(s.payload.toString('latin1').replace('\n\n', '\n\nevil '), 'latin1');
    expect(await verifier.verify(forged, s.signature, now)).toMatchObject({
      kind: 'refused',
      reason: 'bad-signature',
    });
  });

  it('does not claim a signature of the other format', () => {
    expect(verifier.accepts(signed(c.foreign).signature)).toBe(false);
  });

  it('refuses a garbled signature as malformed, without throwing', async () => {
    const s = signed(c.good);
    const lines = s.signature.split('\n');
    const garbled = [lines[0], 'AAAA', ...lines.slice(-2)].join('\n');
    expect(await verifier.verify(s.payload, garbled, now)).toMatchObject({ kind: 'refused' });
  });

  it('refuses everything when no key is trusted', async () => {
    const empty = c.make({ openpgp: [], ssh: [] });
    const s = signed(c.good);
    expect(await empty.verify(s.payload, s.signature, now)).toMatchObject({
      kind: 'refused',
      reason: 'untrusted-key',
    });
  });
});
