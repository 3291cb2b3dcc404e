import type { Cluster } from '../cluster/cluster.js';
import type { CommitPolicyDecision } from './commit-policy.js';
import type { Pass } from './pass.js';
import { recordEvent } from './status.js';

/**
 * The LargeCommit condition after a synced pass. A walk over the limits under action warn sets
 * it (with a Warning Event when it is new; the ledger record follows from `pass.audited`); a
 * walk within them, or no policy, clears it; no new commit leaves it as it was.
 */
export async function noteLargeCommit(
  deps: { cluster: Cluster },
  pass: Pass,
  decision: Exclude<CommitPolicyDecision, { kind: 'over'; action: 'refuse' }>,
  automated: boolean,
): Promise<void> {
  if (decision.kind === 'nothing-new') return;
  if (decision.kind !== 'over') {
    pass.dropCond('LargeCommit');
    return;
  }
  const message = `${decision.message}; applied anyway: spec.verification.commitPolicy.action is warn`;
  const before = pass.app.status?.conditions?.find((c) => c.type === 'LargeCommit');
  pass.cond('LargeCommit', 'True', 'CommitPolicyExceeded', automated ? message : decision.message);
  const standing = pass.status.conditions?.find((c) => c.type === 'LargeCommit');
  if (standing === undefined) return;
  if (pass.audited.kind === 'synced')
    pass.audited = {
      ...pass.audited,
      largeCommit: { message: standing.message, commits: decision.commits },
    };
  if (before?.status === 'True' && before.message === standing.message) return;
  await recordEvent(deps, pass.app, 'Warning', 'LargeCommit', standing.message);
}
