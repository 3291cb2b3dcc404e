import { readSignature } from 'openpgp';
import { describe, expect, it } from 'vitest';
import { OpenPgpVerifier } from './openpgp.js';
import { fixture, keysFrom, signed } from './testdata/fixtures.js';
import { trustedKeysFromEntries } from './keys.js';

const now = new Date();

async function verifierFor(entry: string): Promise<OpenPgpVerifier> {
  const entries = [{ name: entry, text: fixture(entry).toString() }];
  const r = await trustedKeysFromEntries(entries, 'testdata');
  if (r.kind !== 'ok') throw r.error;
  return new OpenPgpVerifier(r.value.openpgp);
}

describe('OpenPGP commit signatures', () => {
  it('accepts a signature made by a signing subkey of a trusted primary key', async () => {
    const v = new OpenPgpVerifier((await keysFrom(['signer@example.com'])).openpgp);
    const s = signed('commit-openpgp-subkey.txt');
    const r = await v.verify(s.payload, s.signature, now);
    expect(r).toMatchObject({ kind: 'trusted', signer: 'Test Signer <signer@example.com>' });
    if (r.kind !== 'trusted') return;
    expect(r.signingSubkey).toMatch(/^[0-9A-F]{40}$/);
    expect(r.signingSubkey).not.toBe(r.fingerprint);
  });

  it('refuses a commit signed by a key that has expired since', async () => {
    const s = signed('commit-openpgp-expired.txt');
    const r = await (await verifierFor('expired.asc')).verify(s.payload, s.signature, now);
    expect(r).toMatchObject({ kind: 'refused', reason: 'expired-key' });
  });

  it('accepts the expired key only at a time when it was still valid', async () => {
    // The signature was made with gpg --faked-system-time inside the key's one-day life. The
    // time checked against is a minute after it, read from the signature itself: a time
    // relative to today would leave that day as the calendar moves on.
    const s = signed('commit-openpgp-expired.txt');
    const v = await verifierFor('expired.asc');
    const made = (await readSignature({ armoredSignature: s.signature })).packets[0]?.created;
    if (made === undefined || made === null) throw new Error('the fixture signature has no time');
    const back = new Date(made.getTime() + 60_000);
    expect(await v.verify(s.payload, s.signature, back)).toMatchObject({ kind: 'trusted' });
  });

  it('refuses a commit signed by a revoked key, even though signed before the revocation', async () => {
    const s = signed('commit-openpgp-revoked.txt');
    const r = await (await verifierFor('revoked.asc')).verify(s.payload, s.signature, now);
    expect(r).toMatchObject({ kind: 'refused', reason: 'revoked-key' });
  });

  it('verifies a signed annotated tag, whose signature trails the message', async () => {
    const v = new OpenPgpVerifier((await keysFrom(['signer@example.com'])).openpgp);
    const s = signed('tag-openpgp.txt');
    expect(await v.verify(s.payload, s.signature, now)).toMatchObject({ kind: 'trusted' });
  });

  it('refuses a key file holding a private key', async () => {
    const r = await trustedKeysFromEntries(
      [
        {
          name: 'x.asc',
          text: '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n',
        },
      ],
      'testdata',
    );
    expect(r.kind).toBe('error');
  });
});
