import { describe, expect, it } from 'vitest';
import {
  countCommit,
  describeLargeCommit,
  judgeCommitSizes,
  largeCommitSummary,
  normalizeRepoPath,
  type CommitChanges,
} from './commit-size.js';

const sha = (c: string): string => c.repeat(40);
const files = (n: number, dir: string): string[] =>
  Array.from({ length: n }, (_, i) => `${dir}/f${i}.yaml`);
const commit = (id: string, changed: readonly string[], parents = 1): CommitChanges => ({
  sha: sha(id),
  author: `Dev ${id} <${id}@example.com>`,
  parents,
  files: changed,
});

describe('the small-commit rule', () => {
  it('a 50-file commit inside the path breaks maxFilesChanged 10, naming its counts', () => {
    const v = judgeCommitSizes([commit('a', files(50, 'apps/web'))], {
      limits: { maxFilesChanged: 10 },
      path: 'apps/web',
      appPaths: ['apps/web'],
    });
    expect(v).toEqual({
      kind: 'over',
      checked: 1,
      commits: [
        {
          sha: sha('a'),
          author: 'Dev a <a@example.com>',
          filesChanged: 50,
          applicationsTouched: 1,
          over: ['files'],
        },
      ],
    });
  });

  it('a 1-file commit passes', () => {
    const v = judgeCommitSizes([commit('b', ['apps/web/deploy.yaml'])], {
      limits: { maxFilesChanged: 1, maxApplicationsTouched: 1 },
      path: 'apps/web',
      appPaths: ['apps/web', 'apps/api'],
    });
    expect(v).toEqual({ kind: 'within', checked: 1 });
  });

  it('only files under the Application’s path count towards maxFilesChanged', () => {
    const changed = [...files(3, 'apps/web'), ...files(40, 'apps/api'), 'README.md'];
    expect(countCommit(commit('c', changed), 'apps/web', [])).toEqual({
      filesChanged: 3,
      applicationsTouched: 0,
    });
    expect(countCommit(commit('c', changed), '.', [])).toEqual({
      filesChanged: 44,
      applicationsTouched: 0,
    });
  });

  it('a path prefix is not a parent: apps/web does not hold apps/web-canary', () => {
    const c = commit('d', ['apps/web-canary/a.yaml', 'apps/web/b.yaml']);
    expect(countCommit(c, './apps/web/', ['apps/web', 'apps/web-canary']).filesChanged).toBe(1);
  });

  it('one commit across three Applications breaks maxApplicationsTouched 2; each path counts once', () => {
    const changed = ['apps/web/a.yaml', 'apps/api/b.yaml', 'apps/db/c.yaml', 'docs/x.md'];
    const v = judgeCommitSizes([commit('e', changed)], {
      limits: { maxApplicationsTouched: 2 },
      path: 'apps/web',
      appPaths: ['apps/web', 'apps/api', 'apps/db', 'apps/db/', 'apps/idle'],
    });
    expect(v.kind === 'over' && v.commits[0]).toMatchObject({
      applicationsTouched: 3,
      over: ['applications'],
    });
  });

  it("the Application's own path counts even when the list of followers omits it", () => {
    const c = commit('f', ['apps/web/a.yaml', 'apps/api/b.yaml']);
    const v = judgeCommitSizes([c], {
      limits: { maxApplicationsTouched: 1 },
      path: 'apps/web',
      appPaths: ['apps/api'],
    });
    expect(v.kind === 'over' && v.commits[0]?.applicationsTouched).toBe(2);
  });

  it('a merge is judged by the files its first-parent diff lists, not by its branch commits', () => {
    // The walk lists the merge with its first-parent diff and each branch commit with its own.
    const walk = [
      commit('m', files(12, 'apps/web'), 2),
      commit('1', files(6, 'apps/web')),
      commit('2', files(6, 'apps/web')),
    ];
    const v = judgeCommitSizes(walk, {
      limits: { maxFilesChanged: 10 },
      path: 'apps/web',
      appPaths: [],
    });
    expect(v.kind === 'over' && v.commits.map((c) => c.sha)).toEqual([sha('m')]);
    expect(v.checked).toBe(3);
  });

  it('counts touched Applications among ten thousand on one repository, nested paths each once', () => {
    const appPaths = Array.from({ length: 10_000 }, (_, i) => `apps/a${i}`);
    const c = commit('k', ['apps/a7/x.yaml', 'apps/a7/y.yaml', 'apps/a42/z.yaml', 'apps/a9999']);
    expect(countCommit(c, 'apps', [...appPaths, 'apps'])).toEqual({
      filesChanged: 4,
      applicationsTouched: 4,
    });
  });

  it('no limit set judges nothing over', () => {
    const v = judgeCommitSizes([commit('g', files(500, 'x'))], {
      limits: {},
      path: '.',
      appPaths: ['x', 'y'],
    });
    expect(v).toEqual({ kind: 'within', checked: 1 });
  });

  it('the same path listed twice in a commit counts once', () => {
    const c = commit('h', ['a/x.yaml', 'a/x.yaml']);
    expect(countCommit(c, 'a', ['a']).filesChanged).toBe(1);
  });

  it('messages name the commit, its author and the counts, with the limit broken', () => {
    const v = judgeCommitSizes(
      [commit('a', files(50, 'apps/web')), commit('b', files(11, 'apps/web'))],
      { limits: { maxFilesChanged: 10 }, path: 'apps/web', appPaths: [] },
    );
    if (v.kind !== 'over') throw new Error('expected over');
    const first = v.commits[0];
    if (first === undefined) throw new Error('expected a commit');
    expect(describeLargeCommit(first, { maxFilesChanged: 10 })).toBe(
      'commit aaaaaaaaaaaa by Dev a <a@example.com>: 50 files changed (limit 10), 1 application touched',
    );
    expect(largeCommitSummary(v, { maxFilesChanged: 10 })).toMatch(/; and 1 more of 2 checked$/);
  });

  it('normalizes paths as spec.source.path is written', () => {
    expect(normalizeRepoPath('.')).toBe('');
    expect(normalizeRepoPath('./apps//web/')).toBe('apps/web');
  });
});
