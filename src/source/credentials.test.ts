import { describe, expect, it } from 'vitest';
import { credentialsFromSecretData, InvalidCredentialsError } from './credentials.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const secret = 'Secret team-a/repo';

describe('credentialsFromSecretData', () => {
  it('reads a token with an optional username', () => {
    expect(
      credentialsFromSecretData({ token: b64('tok\n'), username: b64('bot') }, secret),
    ).toEqual({
      kind: 'ok',
      value: { auth: { kind: 'token', token: 'tok', username: 'bot' } },
    });
  });
  it('refuses an SSH key without known hosts, naming keys and never values', () => {
    const r = credentialsFromSecretData({ sshPrivateKey: b64('PRIVATE-KEY-MATERIAL') }, secret);
    expect(r.kind === 'error' && r.error).toBeInstanceOf(InvalidCredentialsError);
    expect(r.kind === 'error' && r.error.message).toBe(
      'Secret team-a/repo: key sshPrivateKey needs key knownHosts: SSH host keys are always checked',
    );
  });
  it('reads basic auth plus a CA bundle', () => {
    expect(
      credentialsFromSecretData(
        { username: b64('u'), password: b64('p'), caBundle: b64('PEM') },
        secret,
      ),
    ).toEqual({
      kind: 'ok',
      value: { auth: { kind: 'basic', username: 'u', password: 'p' }, caBundle: 'PEM' },
    });
  });
  it('means an anonymous fetch when the Secret holds none of the keys', () => {
    expect(credentialsFromSecretData({}, secret)).toEqual({
      kind: 'ok',
      value: { auth: { kind: 'none' } },
    });
  });
});
