import type { Application, ApplicationStatus } from '../api/application.js';
import type { Cluster } from '../cluster/cluster.js';
import type { GitRemote } from '../source/git.js';
import type { GitSource } from '../source/source.js';
import type { RefusalReason } from '../source/verify/index.js';
import {
  decideCommitPolicy,
  type CommitPolicyDecision,
  type FollowersOf,
} from './commit-policy.js';
import {
  describeRefusal,
  trustedKeysFromSecretData,
  type TrustedKeys,
  type VerificationResult,
} from '../source/verify/index.js';

export type VerificationStatus = NonNullable<ApplicationStatus['verification']>;

/**
 * What the trust stage decided about a target commit. `refused` carries the condition reason
 * and a message naming the commit, its author and why, for status, the Event and the ledger.
 */
export type TrustDecision =
  | {
      kind: 'trusted';
      status: VerificationStatus;
      result: VerificationResult | undefined;
      /** The small-commit policy's verdict; `over` here means action warn. */
      commitPolicy: Exclude<CommitPolicyDecision, { kind: 'over'; action: 'refuse' }>;
    }
  | {
      kind: 'refused';
      reason: 'VerificationFailed' | 'NonFastForward' | 'LargeCommit';
      message: string;
      status: VerificationStatus;
      result: VerificationResult | undefined;
    };

/** What the ancestry and signature checks decided, before the commit policy is asked. */
type SignatureDecision =
  | Omit<Extract<TrustDecision, { kind: 'trusted' }>, 'commitPolicy'>
  | Extract<TrustDecision, { kind: 'refused' }>;

/** The one word status.verification.refusal gives for a signature problem. */
const refusalWord: Record<RefusalReason, NonNullable<VerificationStatus['refusal']>> = {
  unsigned: 'UnsignedCommit',
  'untrusted-key': 'UntrustedKey',
  'bad-signature': 'BadSignature',
  'expired-key': 'ExpiredKey',
  'revoked-key': 'RevokedKey',
  'wrong-namespace': 'WrongNamespace',
  'not-yet-valid-key': 'NotYetValidKey',
  malformed: 'MalformedSignature',
  unsupported: 'UnsupportedSignature',
  'tag-mismatch': 'TagMismatch',
};

type KeysLookup = { kind: 'ok'; keys: TrustedKeys } | { kind: 'missing'; message: string };

/** The keys an Application trusts, from the Secret its `spec.verification.secretRef` names. */
async function trustedKeys(cluster: Cluster, app: Application): Promise<KeysLookup> {
  const ref = app.spec.verification.secretRef;
  const ns = app.metadata.namespace ?? '';
  if (ref === undefined)
    return {
      kind: 'missing',
      message: `spec.verification.mode is ${app.spec.verification.mode} but spec.verification.secretRef names no Secret of trusted keys`,
    };
  const secret = await cluster.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ref.name, namespace: ns },
  });
  if (secret === undefined)
    return { kind: 'missing', message: `Secret ${ns}/${ref.name} of trusted keys was not found` };
  const data = secret.data as Record<string, string> | undefined;
  const keys = await trustedKeysFromSecretData(data, `Secret ${ns}/${ref.name}`);
  if (keys.kind === 'error') return { kind: 'missing', message: keys.error.message };
  return { kind: 'ok', keys: keys.value };
}

const short = (sha: string): string => sha.slice(0, 12);

/**
 * Is `target` allowed to be applied? First anti-rollback: it must descend from the last applied
 * revision, unless it is the revision a `ballast app rollback` asked for. Then signatures, as
 * `spec.verification.mode` says: the target (or the signed tag naming it), or in `all` mode
 * every commit since the last applied one. Last the small-commit policy, over that same walk:
 * under action refuse a commit over its limits is refused as an unsigned one is.
 */
export async function decideTrust(
  deps: { cluster: Cluster; source: GitSource; followers?: FollowersOf },
  app: Application,
  remote: GitRemote,
  target: string,
): Promise<TrustDecision> {
  const signatures = await decideSignatures(deps, app, remote, target);
  if (signatures.kind === 'refused') return signatures;
  const commitPolicy = await decideCommitPolicy(deps, app, remote, target);
  if (commitPolicy.kind === 'over' && commitPolicy.action === 'refuse') {
    const message = `${commitPolicy.message}; spec.verification.commitPolicy refuses commits over its limits`;
    return {
      kind: 'refused',
      reason: 'LargeCommit',
      message,
      // commitsChecked keeps counting signatures; the message says how many sizes were judged.
      status: { ...signatures.status, result: 'Refused', message, refusal: 'LargeCommit' },
      result: signatures.result,
    };
  }
  return { ...signatures, commitPolicy };
}

async function decideSignatures(
  deps: { cluster: Cluster; source: GitSource },
  app: Application,
  remote: GitRemote,
  target: string,
): Promise<SignatureDecision> {
  const { mode, fastForwardOnly } = app.spec.verification;
  const lastApplied = app.status?.lastSyncedRevision;
  const rollingBack = app.spec.rollback?.revision === target;
  const status = (
    result: VerificationStatus['result'],
    message: string,
    extra: Partial<VerificationStatus> = {},
  ): VerificationStatus => ({
    revision: target,
    mode,
    result,
    commitsChecked: 0,
    message,
    ...extra,
  });

  if (fastForwardOnly && lastApplied !== undefined && !rollingBack) {
    const descent = await deps.source.checkDescends(remote, lastApplied, target);
    if (descent.kind === 'not-descendant') {
      const message = `${descent.message}; deploy an older commit deliberately with \`ballast app rollback\``;
      return {
        kind: 'refused',
        reason: 'NonFastForward',
        message,
        status: status('Refused', message, { refusal: 'NotDescendant' }),
        result: undefined,
      };
    }
  }
  if (mode === 'none')
    return { kind: 'trusted', status: status('Unchecked', ''), result: undefined };

  const keys = await trustedKeys(deps.cluster, app);
  if (keys.kind === 'missing') {
    const message = `revision ${short(target)} cannot be verified: ${keys.message}`;
    return {
      kind: 'refused',
      reason: 'VerificationFailed',
      message,
      status: status('Refused', message, { refusal: 'TrustedKeysMissing' }),
      result: undefined,
    };
  }
  const result = await deps.source.verify(remote, {
    mode,
    target,
    ref: app.spec.source.targetRevision,
    ...(lastApplied === undefined || rollingBack ? {} : { since: lastApplied }),
    keys: keys.keys,
  });
  if (result.kind === 'refused') {
    const message = `revision ${short(target)} refused: ${result.refused.map(describeRefusal).join('; ')}`;
    return {
      kind: 'refused',
      reason: 'VerificationFailed',
      message,
      status: status('Refused', message, {
        commitsChecked: result.checked,
        refusal: refusalWord[result.refused[0]?.reason ?? 'unsigned'],
      }),
      result,
    };
  }
  if (result.kind === 'skipped')
    return { kind: 'trusted', status: status('Unchecked', ''), result };
  return {
    kind: 'trusted',
    status: status('Trusted', '', {
      signer: result.signer,
      fingerprint: result.fingerprint,
      commitsChecked: result.commits.length,
    }),
    result,
  };
}
