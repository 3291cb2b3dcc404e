import type { Application } from '../api/application.js';
import type { GitRemote } from '../source/git.js';
import type { GitSource } from '../source/source.js';
import {
  judgeCommitSizes,
  largeCommitSummary,
  type CommitLimits,
  type LargeCommit,
} from '../source/verify/index.js';

/** The paths of the Applications this controller knows that follow a repository. */
export type FollowersOf = (repoURL: string) => string[];

/**
 * What `spec.verification.commitPolicy` says of a target. `unset`: no limit to judge (the
 * condition goes). `nothing-new`: no commit since the last applied one, or a deliberate
 * rollback, so the condition stays as the last judged walk left it. `within`: the walk passed
 * (the condition goes). `over`: the `message` names the first offender, its author and counts.
 */
export type CommitPolicyDecision =
  | { kind: 'unset' }
  | { kind: 'nothing-new' }
  | { kind: 'within'; checked: number }
  | {
      kind: 'over';
      action: 'warn' | 'refuse';
      checked: number;
      commits: readonly LargeCommit[];
      message: string;
    };

/**
 * Judges every commit since the last applied revision (the target alone on a first sync), as
 * verification mode `all` walks them, with one `git log` in the mirror.
 */
export async function decideCommitPolicy(
  deps: { source: GitSource; followers?: FollowersOf },
  app: Application,
  remote: GitRemote,
  target: string,
): Promise<CommitPolicyDecision> {
  const policy = app.spec.verification.commitPolicy;
  const limits: CommitLimits = {
    ...(policy?.maxFilesChanged === undefined ? {} : { maxFilesChanged: policy.maxFilesChanged }),
    ...(policy?.maxApplicationsTouched === undefined
      ? {}
      : { maxApplicationsTouched: policy.maxApplicationsTouched }),
  };
  if (policy === undefined || Object.keys(limits).length === 0) return { kind: 'unset' };
  const lastApplied = app.status?.lastSyncedRevision;
  // A rollback redeploys a commit a person chose; its size was judged when it was first applied.
  if (lastApplied === target || app.spec.rollback?.revision === target)
    return { kind: 'nothing-new' };
  const commits = await deps.source.commitChanges(remote, {
    target,
    ...(lastApplied === undefined ? {} : { since: lastApplied }),
  });
  const path = app.spec.source.path;
  const appPaths = deps.followers?.(app.spec.source.repoURL) ?? [path];
  const verdict = judgeCommitSizes(commits, { limits, path, appPaths });
  if (verdict.kind === 'within') return { kind: 'within', checked: verdict.checked };
  return {
    kind: 'over',
    action: policy.action,
    checked: verdict.checked,
    commits: verdict.commits,
    message: `revision ${target.slice(0, 12)}: ${largeCommitSummary(verdict, limits)}`,
  };
}
