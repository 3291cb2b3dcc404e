import { describe, expect, it } from 'vitest';
import { allowedUrlPrefixProblem, notificationUrlAllowed } from './allow.js';

const allowed = ['https://hooks.example/team-a', 'http://127.0.0.1:9000/'];

describe('notificationUrlAllowed', () => {
  it.each([
    'https://hooks.example/team-a',
    'https://hooks.example/team-a/deploys?x=1',
    'https://HOOKS.example:443/team-a/x',
    'http://127.0.0.1:9000/anything',
  ])('allows %s under a listed prefix', (url) => {
    expect(notificationUrlAllowed(url, allowed)).toBe(true);
  });

  it.each([
    ['a longer path segment', 'https://hooks.example/team-ab'],
    ['another scheme', 'http://hooks.example/team-a'],
    ['another port', 'http://127.0.0.1:9001/'],
    ['credentials that make the host look allowed', 'https://hooks.example@evil.example/team-a'],
    ['a host that starts like the allowed one', 'https://hooks.example.evil/team-a'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data'],
    ['the apiserver', 'https://kubernetes.default.svc/api'],
    ['not a URL', 'team-a'],
    ['a file URL', 'file:///etc/passwd'],
  ])('refuses %s', (_, url) => {
    expect(notificationUrlAllowed(url, allowed)).toBe(false);
  });

  it('refuses everything when nothing is allowed', () => {
    expect(notificationUrlAllowed('https://hooks.example/team-a', [])).toBe(false);
  });
});

describe('allowedUrlPrefixProblem', () => {
  it('accepts a plain prefix and refuses credentials, queries and other schemes', () => {
    expect(allowedUrlPrefixProblem('https://hooks.example/team-a/')).toBeUndefined();
    expect(allowedUrlPrefixProblem('https://u:p@hooks.example/')).toMatch(/without user/);
    expect(allowedUrlPrefixProblem('https://hooks.example/?a=b')).toMatch(/without \?/);
    expect(allowedUrlPrefixProblem('ftp://hooks.example/')).toMatch(/http/);
  });
});
