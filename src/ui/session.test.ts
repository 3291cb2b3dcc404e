import { describe, expect, it } from 'vitest';
import { cameOverTls, parseCookies, safeJson } from './http.js';
import { CsrfKey, sessionCookieHeader, tokenProblem } from './session.js';
import type { IncomingMessage } from 'node:http';

describe('CSRF tokens', () => {
  it('accepts the token of the session and nothing else, not even another session’s', () => {
    const key = new CsrfKey();
    const mine = key.tokenFor('token-a');
    expect(key.check('token-a', mine)).toBe(true);
    expect(key.check('token-a', key.tokenFor('token-b'))).toBe(false);
    expect(key.check('token-a', undefined)).toBe(false);
    expect(key.check('token-a', '')).toBe(false);
    expect(key.check('token-a', mine.slice(1))).toBe(false);
  });

  it('differs between processes: a token from another key is refused', () => {
    expect(new CsrfKey().check('local', new CsrfKey().tokenFor('local'))).toBe(false);
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, and Secure only over TLS', () => {
    expect(sessionCookieHeader('abc', false)).toBe(
      'ballast_session=abc; HttpOnly; SameSite=Strict; Path=/',
    );
    expect(sessionCookieHeader('abc', true)).toMatch(/; Secure$/);
    expect(sessionCookieHeader(undefined, false)).toMatch(/^ballast_session=; Max-Age=0;/);
  });

  it('is read from a Cookie header whatever else it holds; the first of a name wins', () => {
    const c = parseCookies(
      'a=1; ballast_session=tok.en; ballast_session=later; bad=%E0%A4%A; q="x"',
    );
    expect(c.get('ballast_session')).toBe('tok.en');
    expect(c.get('bad')).toBeUndefined();
    expect(c.get('q')).toBe('x');
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('counts a request as TLS when the socket is, or the proxy says https', () => {
    const req = (encrypted: boolean, proto?: string): IncomingMessage =>
      ({
        socket: { encrypted },
        headers: proto === undefined ? {} : { 'x-forwarded-proto': proto },
      }) as unknown as IncomingMessage;
    expect(cameOverTls(req(true))).toBe(true);
    expect(cameOverTls(req(false, 'https, http'))).toBe(true);
    expect(cameOverTls(req(false, 'http'))).toBe(false);
    expect(cameOverTls(req(false))).toBe(false);
  });
});

describe('bearer tokens and JSON out', () => {
  it('refuses an empty, spaced or huge token before asking the apiserver', () => {
    expect(tokenProblem('')).toBeDefined();
    expect(tokenProblem('a b')).toBeDefined();
    expect(tokenProblem('a\nb')).toBeDefined();
    expect(tokenProblem('x'.repeat(16_385))).toBeDefined();
    expect(tokenProblem(42)).toBeDefined();
    expect(tokenProblem('eyJhbGciOi.J9-_')).toBeUndefined();
  });

  it('writes JSON that holds no markup and parses back to the same value', () => {
    const value = { note: "<script>alert('x')</script> & \u2028" };
    const text = safeJson(value);
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
