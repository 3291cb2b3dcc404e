import { describe, expect, it } from 'vitest';
import { parseAllowedSigners, matchPatternList, parseSshTime } from './allowed-signers.js';
import { SshVerifier } from './ssh.js';
import { fixture, keysFrom, signed } from './testdata/fixtures.js';

const now = new Date();
const keyOf = (line: string): string => line.split(' ').slice(-2).join(' ');
const lines = fixture('allowed_signers').toString().trim().split('\n');
const ed25519Key = keyOf(lines[0] ?? '');

function verifierWith(text: string): SshVerifier {
  const r = parseAllowedSigners(text, 'test');
  if (r.kind !== 'ok') throw new Error(r.problem);
  return new SshVerifier(r.value);
}

describe('SSH commit signatures (sshsig)', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'])('accepts a commit signed with an %s key', async (kind) => {
    const v = new SshVerifier((await keysFrom(['signer@example.com'])).ssh);
    const s = signed(`commit-ssh-${kind}.txt`);
    const r = await v.verify(s.payload, s.signature, now);
    expect(r).toMatchObject({ kind: 'trusted', format: 'ssh', signer: 'signer@example.com' });
    if (r.kind === 'trusted') expect(r.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('verifies a signed annotated tag', async () => {
    const v = new SshVerifier((await keysFrom(['signer@example.com'])).ssh);
    const s = signed('tag-ssh.txt');
    expect(await v.verify(s.payload, s.signature, now)).toMatchObject({ kind: 'trusted' });
  });

  it('refuses a key whose allowed-signers line limits it to other namespaces', async () => {
    const v = verifierWith(`ci@example.com namespaces="file,email" ${ed25519Key}\n`);
    const s = signed('commit-ssh-ed25519.txt');
    expect(await v.verify(s.payload, s.signature, now)).toMatchObject({
      kind: 'refused',
      reason: 'wrong-namespace',
    });
  });

  it('honours valid-before and valid-after on the allowed-signers line', async () => {
    const s = signed('commit-ssh-ed25519.txt');
    const expired = verifierWith(`ci@example.com valid-before="20200101" ${ed25519Key}\n`);
    expect(await expired.verify(s.payload, s.signature, now)).toMatchObject({
      reason: 'expired-key',
    });
    const future = verifierWith(`ci@example.com valid-after="29990101" ${ed25519Key}\n`);
    expect(await future.verify(s.payload, s.signature, now)).toMatchObject({
      reason: 'not-yet-valid-key',
    });
    const window = verifierWith(
      `ci@example.com namespaces="git",valid-after="20200101",valid-before="29990101" ${ed25519Key}\n`,
    );
    expect(await window.verify(s.payload, s.signature, now)).toMatchObject({ kind: 'trusted' });
  });

  it('takes a bare public key line, with its comment as the principal', async () => {
    const v = verifierWith(`${ed25519Key} someone@example.com\n`);
    const s = signed('commit-ssh-ed25519.txt');
    expect(await v.verify(s.payload, s.signature, now)).toMatchObject({
      kind: 'trusted',
      signer: 'someone@example.com',
    });
  });

  it('reports unreadable allowed-signers lines by entry and line, and refuses certificates', () => {
    expect(parseAllowedSigners('# c\n\nnot a key line\n', 'team.pub')).toMatchObject({
      kind: 'invalid',
      problem: expect.stringMatching(/^team\.pub:3: /) as unknown,
    });
    expect(
      parseAllowedSigners(`*@example.com cert-authority ${ed25519Key}`, 'ca.pub'),
    ).toMatchObject({
      kind: 'invalid',
    });
  });

  it('matches OpenSSH pattern lists with wildcards and negation', () => {
    expect(matchPatternList('git', ['file', 'g*'])).toBe(true);
    expect(matchPatternList('git', ['*', '!git'])).toBe(false);
    expect(matchPatternList('git', ['file'])).toBe(false);
    expect(parseSshTime('20240102')?.toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(parseSshTime('202401021530Z')?.toISOString()).toBe('2024-01-02T15:30:00.000Z');
  });
});
