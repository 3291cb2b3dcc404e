import type { CommitChanges } from './commit-size.js';
import { defaultGitReadOptions, VerificationError, type GitReadOptions } from './gitobjects.js';
import { describeFailure } from '../../exec/run.js';
import { git } from '../git.js';

/**
 * One `git log` for the whole walk: every commit's header and changed paths, NUL-separated.
 * A path cannot be empty, so an empty field always starts a commit: `\0sha\0parents\0author`,
 * then the paths (git puts a newline before the first one).
 */
const logArgs = [
  'log',
  '--no-color',
  '--no-show-signature',
  '--no-renames',
  '--name-only',
  // A merge is judged by what it brings to the branch it lands on.
  '--diff-merges=first-parent',
  '-z',
  '--format=%x00%H%x00%P%x00%an <%ae>',
];

/** Parses the output of `logArgs`; throws VerificationError on anything it does not expect. */
export function parseChangeLog(out: string, subject: string): CommitChanges[] {
  const fields = out.split('\0');
  const commits: CommitChanges[] = [];
  let current: { sha: string; author: string; parents: number; files: string[] } | undefined;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] ?? '';
    if (f === '') {
      if (i === fields.length - 1) break;
      const [sha, parents, author] = fields.slice(i + 1, i + 4);
      if (sha === undefined || !/^[0-9a-f]{40,64}$/.test(sha) || parents === undefined)
        throw new VerificationError(subject, 'git log printed a commit it could not parse');
      current = {
        sha,
        author: author ?? '',
        parents: parents === '' ? 0 : parents.split(' ').length,
        files: [],
      };
      commits.push(current);
      i += 3;
      continue;
    }
    if (current === undefined)
      throw new VerificationError(subject, 'git log printed a path before any commit');
    current.files.push(current.files.length === 0 && f.startsWith('\n') ? f.slice(1) : f);
  }
  return commits;
}

/**
 * What each commit changed, newest first: every commit reachable from `target` and not from
 * `since`, merges included (as verification mode `all` walks them); without `since`, the target
 * alone. One git process for the whole walk.
 */
export async function commitChanges(
  gitDir: string,
  range: { since?: string; target: string },
  partial: Partial<GitReadOptions> = {},
): Promise<CommitChanges[]> {
  const opts = { ...defaultGitReadOptions(), ...partial };
  const revs =
    range.since === undefined ? ['-1', range.target] : [`${range.since}..${range.target}`];
  const subject = `${gitDir} ${revs.join(' ')}`;
  const r = await git(['--git-dir', gitDir, ...logArgs, ...revs, '--'], undefined, {
    timeoutMs: opts.timeoutMs,
    maxStdoutBytes: opts.maxBatchBytes,
  });
  if (r.kind !== 'ok') throw new VerificationError(subject, `git log: ${describeFailure(r)}`);
  return parseChangeLog(r.stdout.toString('utf8'), subject);
}
