import { describe, expect, it } from 'vitest';
import { parseCommit, parseTag } from './object.js';
import { fixture } from './testdata/fixtures.js';

describe('raw git objects', () => {
  it('strips the multi-line gpgsig header of a commit to rebuild the signed payload', () => {
    const raw = fixture('commit-openpgp.txt');
    const p = parseCommit(raw);
    if (p.kind !== 'ok') throw new Error(p.problem);
    const text = p.value.payload.toString();
    expect(text).not.toContain('gpgsig');
    expect(text).not.toContain('PGP SIGNATURE');
    expect(text).toMatch(/^tree [0-9a-f]{40}\nparent [0-9a-f]{40}\nauthor /);
    expect(text.endsWith('\n\ngpg-primary\n')).toBe(true);
    expect(p.value.signature).toMatch(
      /^-----BEGIN PGP SIGNATURE-----\n\n.*-----END PGP SIGNATURE-----\n$/s,
    );
    expect(p.value.author).toBe('Test Signer <signer@example.com>');
    expect(p.value.links).toHaveLength(1);
  });

  it('reads an unsigned commit as unsigned and keeps it byte for byte', () => {
    const raw = fixture('commit-unsigned.txt');
    const p = parseCommit(raw);
    expect(p).toMatchObject({ kind: 'ok', value: { signature: undefined } });
    if (p.kind === 'ok') expect(p.value.payload.equals(raw)).toBe(true);
  });

  it('refuses a commit carrying two signature headers', () => {
    const raw = fixture('commit-openpgp.txt').toString();
    const sig = /^gpgsig [\s\S]*?-----END PGP SIGNATURE-----\n/m.exec(raw)?.[0] ?? '';
    expect(parseCommit(Buffer.from(raw.replace(sig, sig + sig)))).toMatchObject({
      kind: 'malformed',
    });
  });

  it('splits a signed tag at the signature that trails its message', () => {
    const p = parseTag(fixture('tag-ssh.txt'));
    if (p.kind !== 'ok') throw new Error(p.problem);
    expect(p.value.payload.toString().endsWith('release v2\n')).toBe(true);
    expect(p.value.signature).toMatch(/^-----BEGIN SSH SIGNATURE-----/);
    expect(p.value.author).toBe('Test Signer <signer@example.com>');
    expect(p.value.links[0]).toMatch(/^[0-9a-f]{40}$/);
  });
});
