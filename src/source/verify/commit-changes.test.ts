import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOrThrow } from '../../exec/run.js';
import { commitChanges, parseChangeLog } from './commit-changes.js';
import { judgeCommitSizes } from './commit-size.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('parsing the one git log of a walk', () => {
  it('reads headers and paths, a merge with two parents, an empty commit and a root', () => {
    // As git 2.39 prints it with -z: each header ends in NUL, a newline precedes the first path.
    const out =
      `\0${A}\0${B} ${C}\0Ann <ann@example.com>\0\nd/b\0d/we ird\0` +
      `\0${B}\0${C}\0Bob <bob@example.com>\0` +
      `\0${C}\0\0Cy <cy@example.com>\0\n\nnewline-first\0`;
    expect(parseChangeLog(out, 'repo')).toEqual([
      { sha: A, author: 'Ann <ann@example.com>', parents: 2, files: ['d/b', 'd/we ird'] },
      { sha: B, author: 'Bob <bob@example.com>', parents: 1, files: [] },
      { sha: C, author: 'Cy <cy@example.com>', parents: 0, files: ['\nnewline-first'] },
    ]);
  });

  it('refuses output it does not understand rather than guessing', () => {
    expect(() => parseChangeLog('stray\0', 'repo')).toThrow(/path before any commit/);
    expect(() => parseChangeLog('\0nope\0\0x\0', 'repo')).toThrow(/could not parse/);
  });
});

describe('the walk in a real repository', () => {
  let dir: string;
  const git = async (...args: string[]): Promise<string> =>
    (
      await runOrThrow('git', 'git', ['-C', dir, ...args], {
        timeoutMs: 30_000,
      })
    )
      .toString('utf8')
      .trim();
  const write = async (files: string[]): Promise<void> => {
    for (const f of files) {
      await mkdir(join(dir, f, '..'), { recursive: true });
      await writeFile(join(dir, f), `${f}\n${Math.random()}\n`);
    }
  };
  const commit = async (msg: string): Promise<string> => {
    await git('add', '-A');
    await git('commit', '-q', '-m', msg);
    return git('rev-parse', 'HEAD');
  };
  const many = (n: number, d: string): string[] => Array.from({ length: n }, (_, i) => `${d}/${i}`);
  let base = '';
  let merge = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-commit-changes-'));
    await git('init', '-q', '-b', 'main');
    await git('config', 'user.name', 'Dev');
    await git('config', 'user.email', 'dev@example.com');
    await write(['apps/web/a.yaml']);
    base = await commit('base');
    await git('checkout', '-q', '-b', 'feature');
    await write(many(6, 'apps/web'));
    await commit('six');
    await write(many(6, 'apps/web/more'));
    await commit('six more');
    await git('checkout', '-q', 'main');
    await write(['apps/api/x.yaml']);
    await commit('api');
    await git('merge', '-q', '--no-ff', 'feature', '-m', 'merge feature');
    merge = await git('rev-parse', 'HEAD');
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('judges a merge by its diff against the first parent: the 12 files the branch brought', async () => {
    const gitDir = join(dir, '.git');
    const walk = await commitChanges(gitDir, { since: base, target: merge });
    expect(walk.map((c) => c.files.length).sort()).toEqual([1, 12, 6, 6]);
    const m = walk.find((c) => c.sha === merge);
    expect(m?.parents).toBe(2);
    expect(m?.files.filter((f) => f.startsWith('apps/web/'))).toHaveLength(12);
    const v = judgeCommitSizes(walk, {
      limits: { maxFilesChanged: 10 },
      path: 'apps/web',
      appPaths: [],
    });
    expect(v.kind === 'over' && v.commits.map((c) => c.sha)).toEqual([merge]);
  });

  it('without a last applied commit, only the target is walked', async () => {
    const walk = await commitChanges(join(dir, '.git'), { target: merge });
    expect(walk.map((c) => c.sha)).toEqual([merge]);
  });
});
