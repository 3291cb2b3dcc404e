import { describe, expect, it } from 'vitest';
import { pickRef, type RefEntry } from './refs.js';

const sha = (c: string): string => c.repeat(40);
const refs: RefEntry[] = [
  { name: 'refs/heads/main', sha: sha('a') },
  { name: 'refs/heads/v1.0.0', sha: sha('b') },
  { name: 'refs/tags/v1.0.0', sha: sha('c') },
  { name: 'refs/tags/v1.2.3', sha: sha('d') },
  { name: 'refs/tags/1.10.0', sha: sha('e') },
  { name: 'refs/tags/v2.0.0-rc.1', sha: sha('f') },
  { name: 'refs/tags/release-candidate', sha: sha('1') },
];

describe('pickRef', () => {
  it('resolves a branch name to its commit', () => {
    expect(pickRef('main', refs)).toEqual({ kind: 'branch', sha: sha('a') });
  });
  it('prefers a tag over a branch of the same name, as git does', () => {
    expect(pickRef('v1.0.0', refs)).toEqual({ kind: 'tag', sha: sha('c') });
    expect(pickRef('refs/heads/v1.0.0', refs)).toEqual({ kind: 'branch', sha: sha('b') });
  });
  it('picks the highest tag in a semver range, ignoring prereleases and non-semver tags', () => {
    expect(pickRef('^1.0.0', refs)).toEqual({ kind: 'semver', tag: '1.10.0', sha: sha('e') });
    expect(pickRef('~1.2', refs)).toEqual({ kind: 'semver', tag: 'v1.2.3', sha: sha('d') });
    expect(pickRef('>=2.0.0', refs)).toEqual({
      kind: 'none',
      reason: 'no tag matches the semver range ">=2.0.0"',
    });
  });
  it('passes a full SHA through for the caller to check', () => {
    expect(pickRef(sha('9'), refs)).toEqual({ kind: 'sha' });
  });
  it('says which name it could not find', () => {
    expect(pickRef('nope', refs)).toEqual({
      kind: 'none',
      reason: 'no branch or tag named "nope"',
    });
  });
});
