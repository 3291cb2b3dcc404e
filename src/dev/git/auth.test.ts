import { describe, expect, it } from 'vitest';
import { authorize, parseAuthorization, tokenRemoteUser, type HttpAuthOptions } from './auth.js';

const basic = (user: string, pass: string): string =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('parseAuthorization', () => {
  it('reads Basic credentials, keeping colons in the password', () => {
    expect(parseAuthorization(basic('alice', 'a:b:c'))).toEqual({
      kind: 'basic',
      username: 'alice',
      password: 'a:b:c',
    });
  });

  it('reads a Bearer token with any casing of the scheme', () => {
    expect(parseAuthorization('bearer tok123')).toEqual({ kind: 'bearer', token: 'tok123' });
  });

  it('treats a missing or empty header as no credentials', () => {
    expect(parseAuthorization(undefined)).toEqual({ kind: 'none' });
    expect(parseAuthorization('  ')).toEqual({ kind: 'none' });
  });

  it('reports malformed headers instead of throwing', () => {
    expect(parseAuthorization('Basic').kind).toBe('malformed');
    expect(parseAuthorization('Basic !!!').kind).toBe('malformed');
    expect(parseAuthorization(`Basic ${Buffer.from('nocolon').toString('base64')}`).kind).toBe(
      'malformed',
    );
    expect(parseAuthorization('Digest abc').kind).toBe('malformed');
  });
});

describe('authorize', () => {
  const auth: HttpAuthOptions = {
    users: [{ username: 'alice', password: 's3cret' }],
    tokens: ['tok'],
  };

  it('lets everyone in when no users or tokens are configured', () => {
    expect(authorize({ users: [], tokens: [] }, { kind: 'none' })).toEqual({
      kind: 'allowed',
      remoteUser: undefined,
    });
  });

  it('accepts the right password and refuses a wrong one or none', () => {
    expect(authorize(auth, parseAuthorization(basic('alice', 's3cret')))).toEqual({
      kind: 'allowed',
      remoteUser: 'alice',
    });
    expect(authorize(auth, parseAuthorization(basic('alice', 'nope'))).kind).toBe('denied');
    expect(authorize(auth, parseAuthorization(basic('bob', 's3cret'))).kind).toBe('denied');
    expect(authorize(auth, { kind: 'none' }).kind).toBe('denied');
    expect(authorize(auth, { kind: 'malformed', reason: 'x' }).kind).toBe('denied');
  });

  it('accepts a token as Bearer or as the Basic password with any username', () => {
    expect(authorize(auth, { kind: 'bearer', token: 'tok' })).toEqual({
      kind: 'allowed',
      remoteUser: tokenRemoteUser,
    });
    expect(authorize(auth, { kind: 'bearer', token: 'tok2' }).kind).toBe('denied');
    expect(authorize(auth, parseAuthorization(basic('x-access-token', 'tok')))).toEqual({
      kind: 'allowed',
      remoteUser: 'x-access-token',
    });
    expect(authorize(auth, parseAuthorization(basic('', 'tok')))).toEqual({
      kind: 'allowed',
      remoteUser: tokenRemoteUser,
    });
  });
});
