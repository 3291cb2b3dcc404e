import { describe, expect, it } from 'vitest';
import { credentialsFromSecretData } from './credentials.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('credentialsFromSecretData', () => {
  it('reads a token with an optional username', () => {
    expect(credentialsFromSecretData({ token: b64('tok\n'), username: b64('bot') })).toEqual({
      kind: 'ok',
      value: { auth: { kind: 'token', token: 'tok', username: 'bot' } },
    });
  });
  it('refuses an SSH key without known hosts, naming keys and never values', () => {
    const r = credentialsFromSecretData({ sshPrivateKey: b64('PRIVATE-KEY-MATERIAL') });
    expect(r).toEqual({
      kind: 'invalid',
      problem: 'key sshPrivateKey needs key knownHosts: SSH host keys are always checked',
    });
  });
  it('reads basic auth plus a CA bundle', () => {
    expect(
      credentialsFromSecretData({ username: b64('u'), password: b64('p'), caBundle: b64('PEM') }),
    ).toEqual({
      kind: 'ok',
      value: { auth: { kind: 'basic', username: 'u', password: 'p' }, caBundle: 'PEM' },
    });
  });
  it('means an anonymous fetch when the Secret holds none of the keys', () => {
    expect(credentialsFromSecretData({})).toEqual({
      kind: 'ok',
      value: { auth: { kind: 'none' } },
    });
  });
});
