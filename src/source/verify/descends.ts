import { defaultGitReadOptions, hasCommit, isAncestor, type GitReadOptions } from './gitobjects.js';

/**
 * Whether a new target may follow the last applied revision. `older`: the target is an ancestor
 * of what is applied (a replayed old commit, or a branch reset back). `diverged`: history was
 * rewritten (force-push). `unknown-base`: the applied commit is no longer in the repository, so
 * descent cannot be shown. A `git revert` is a new commit on top and is a fast-forward.
 */
export type Descent =
  | { kind: 'fast-forward'; lastApplied: string; target: string }
  | {
      kind: 'not-descendant';
      lastApplied: string;
      target: string;
      relation: 'older' | 'diverged' | 'unknown-base';
      /** One sentence naming both commits, for status and the CLI. */
      message: string;
    };

/** Anti-rollback: a new target must descend from the last applied revision. */
export async function checkDescends(
  gitDir: string,
  lastApplied: string,
  target: string,
  partial: Partial<GitReadOptions> = {},
): Promise<Descent> {
  const opts = { ...defaultGitReadOptions(), ...partial };
  const ff = { kind: 'fast-forward' as const, lastApplied, target };
  if (lastApplied === target) return ff;
  const short = (s: string): string => s.slice(0, 12);
  const refuse = (relation: 'older' | 'diverged' | 'unknown-base', why: string): Descent => ({
    kind: 'not-descendant',
    lastApplied,
    target,
    relation,
    message: `commit ${short(target)} does not descend from the last applied commit ${short(lastApplied)}: ${why}`,
  });
  if (!(await hasCommit(gitDir, lastApplied, opts)))
    return refuse(
      'unknown-base',
      'the applied commit is no longer in the repository (history rewritten?)',
    );
  if (await isAncestor(gitDir, lastApplied, target, opts)) return ff;
  if (await isAncestor(gitDir, target, lastApplied, opts))
    return refuse('older', 'it is an older commit (rollback or replay)');
  return refuse('diverged', 'history was rewritten (force-push)');
}
