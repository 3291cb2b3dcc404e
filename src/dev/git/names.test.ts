import { describe, expect, it } from 'vitest';
import { RepoNameError, repoRelativePath } from './names.js';

describe('repoRelativePath', () => {
  it('adds .git once and keeps nested names', () => {
    expect(repoRelativePath('app')).toBe('app.git');
    expect(repoRelativePath('app.git')).toBe('app.git');
    expect(repoRelativePath('team/app')).toBe('team/app.git');
  });

  it('refuses names that could escape the root', () => {
    for (const bad of ['../x', '/abs', 'a/../b', 'a//b', '.hidden', '', 'a b', 'a..b']) {
      expect(() => repoRelativePath(bad)).toThrow(RepoNameError);
    }
  });
});
