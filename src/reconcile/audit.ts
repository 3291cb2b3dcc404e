import type { Application } from '../api/application.js';
import type { ObjectRef } from '../api/object.js';
import { objectChange, safePaths, type NewEntry } from '../audit/index.js';
import { isChange, needsSync, type ChangeSet } from '../diff/index.js';
import type { LargeCommit } from '../source/verify/index.js';
import type { VerificationStatus } from './trust.js';

/**
 * Hands one outcome to the audit ledger. It never throws: a ledger that is down must not stop
 * reconciling, so the sink logs and counts its own failures.
 */
export type AuditSink = (entry: NewEntry) => Promise<void>;

const appRef = (app: Application): { namespace: string; name: string } => ({
  namespace: app.metadata.namespace ?? '',
  name: app.metadata.name,
});

function verificationInfo(v: VerificationStatus): {
  mode: string;
  signer?: string;
  fingerprint?: string;
  commits?: number;
} {
  return {
    mode: v.mode,
    ...(v.signer === undefined ? {} : { signer: v.signer }),
    ...(v.fingerprint === undefined ? {} : { fingerprint: v.fingerprint }),
    commits: v.commitsChecked,
  };
}

/** A sync that changed something: which objects, how, and what vouched for the revision. */
export function syncApplied(
  app: Application,
  revision: string,
  verification: VerificationStatus,
  changeSet: ChangeSet,
): NewEntry {
  const changes = changeSet.entries
    .filter(isChange)
    .map((e) =>
      objectChange({ subject: e.subject, action: e.action, changedPaths: e.changedPaths }),
    );
  return {
    kind: 'sync-applied',
    app: appRef(app),
    actor: 'ballast',
    revision,
    verification: verificationInfo(verification),
    changes,
  };
}

export function commitRefused(
  app: Application,
  revision: string,
  reason: string,
  verification: VerificationStatus,
): NewEntry {
  return {
    kind: 'commit-refused',
    app: appRef(app),
    actor: 'ballast',
    revision,
    reason,
    verification: verificationInfo(verification),
  };
}

/** Commits over the small-commit policy, applied because its action is warn. */
export function largeCommitWarned(
  app: Application,
  revision: string,
  warning: LargeCommitWarning,
): NewEntry {
  return {
    kind: 'large-commit',
    app: appRef(app),
    actor: 'ballast',
    revision,
    reason: warning.message,
    commits: warning.commits.map((c) => ({
      sha: c.sha,
      author: c.author,
      filesChanged: c.filesChanged,
      applicationsTouched: c.applicationsTouched,
    })),
  };
}

export function rolledBack(app: Application, from: string, to: string): NewEntry {
  const rb = app.spec.rollback;
  return {
    kind: 'rollback',
    app: appRef(app),
    fromRevision: from,
    toRevision: to,
    ...(rb === undefined ? {} : { actor: rb.requestedBy, reason: rb.reason }),
  };
}

export function drift(
  app: Application,
  object: ObjectRef,
  paths: readonly string[],
  fieldManager: string,
  reverted: boolean,
): NewEntry {
  return {
    kind: reverted ? 'drift-reverted' : 'drift-detected',
    app: appRef(app),
    actor: fieldManager,
    object,
    paths: safePaths(object, paths),
    fieldManager,
  };
}

export function suspension(app: Application, suspended: boolean): NewEntry {
  const by = app.metadata.annotations?.[requestedByAnnotation];
  const actor = by === undefined ? {} : { actor: by };
  return suspended
    ? { kind: 'suspend', app: appRef(app), ...actor }
    : { kind: 'resume', app: appRef(app), ...actor };
}

/** A `ballast app sync`: the CLI names who asked in `ballast.dev/requested-by`. */
export function manualSync(app: Application, revision: string): NewEntry {
  const by = app.metadata.annotations?.[requestedByAnnotation];
  return {
    kind: 'manual-sync',
    app: appRef(app),
    revision,
    ...(by === undefined ? {} : { actor: by }),
  };
}

export const requestedByAnnotation = 'ballast.dev/requested-by';

/** What the ledger and the LargeCommit condition say of a walk over the small-commit policy. */
export interface LargeCommitWarning {
  /** The condition's message: the first commit over the limits, its author and counts. */
  message: string;
  commits: readonly LargeCommit[];
}

/** What one reconcile pass ended with, as far as the ledger cares. */
export type AuditedPass =
  | { kind: 'suspended' }
  | {
      kind: 'synced';
      sha: string;
      automated: boolean;
      changeSet: ChangeSet;
      verification: VerificationStatus;
      /** Set when the walk broke the small-commit policy under action warn. */
      largeCommit?: LargeCommitWarning;
    }
  | { kind: 'refused'; sha: string; reason: string; verification: VerificationStatus }
  | { kind: 'failed' };

/**
 * The ledger records one pass produces, judged against the status before it, so a poll that
 * finds nothing new writes nothing: a refusal is recorded once per commit, a suspension once.
 */
export function recordsFor(
  app: Application,
  before: Application['status'],
  pass: AuditedPass,
): NewEntry[] {
  const wasSuspended = before?.conditions?.find((c) => c.type === 'Ready')?.reason === 'Suspended';
  if (pass.kind === 'suspended') return wasSuspended ? [] : [suspension(app, true)];
  const out: NewEntry[] = wasSuspended ? [suspension(app, false)] : [];
  if (pass.kind === 'refused') {
    const seen =
      before?.verification?.revision === pass.sha && before.verification.result === 'Refused';
    if (!seen) out.push(commitRefused(app, pass.sha, pass.reason, pass.verification));
    return out;
  }
  if (pass.kind === 'failed') return out;
  const requested = app.metadata.annotations?.['ballast.dev/sync'];
  if (requested !== undefined && requested !== before?.lastHandledSync)
    out.push(manualSync(app, pass.sha));
  // A revision new to the status is recorded even when nothing is left to change: a leader
  // killed after its apply, before its record, left the objects at it and the status behind.
  if (pass.automated && (needsSync(pass.changeSet) || before?.lastSyncedRevision !== pass.sha))
    out.push(syncApplied(app, pass.sha, pass.verification, pass.changeSet));
  // Recorded once per walk: a poll that finds the same warning standing writes nothing.
  const large = pass.largeCommit;
  const standing = before?.conditions?.find((c) => c.type === 'LargeCommit');
  if (large !== undefined && !(standing?.status === 'True' && standing.message === large.message))
    out.push(largeCommitWarned(app, pass.sha, large));
  const previous = before?.lastSyncedRevision;
  if (pass.automated && app.spec.rollback !== undefined && previous !== pass.sha)
    out.push(rolledBack(app, previous ?? '', pass.sha));
  return out;
}

/** The actor of the rollout steps the hub decides itself. */
export const rolloutHubActor = 'ballast-hub';

/**
 * Whether the apiserver holds `ballast.dev/requested-by` and `spec.rollback.requestedBy` to the
 * authenticated user: `enforced` while the `ballast-requested-by` admission policy and its
 * binding are installed, `unenforced` otherwise (then a name is only what a client wrote).
 */
export type RequesterCheck = 'enforced' | 'unenforced';

/**
 * The entry with `actorVerified` set, by where its actor came from: the controller itself is
 * verified; a field manager never is (any client picks its own); a requester's name is verified
 * only while the admission policy enforces it.
 */
export function withActorCheck(entry: NewEntry, requester: RequesterCheck): NewEntry {
  if (entry.actor === undefined) return entry;
  switch (entry.kind) {
    case 'sync-applied':
    case 'commit-refused':
    case 'large-commit':
    case 'secret-rotated':
      return { ...entry, actorVerified: entry.actor === 'ballast' };
    case 'drift-detected':
    case 'drift-reverted':
      return { ...entry, actorVerified: false };
    case 'rollback':
    case 'manual-sync':
    case 'suspend':
    case 'resume':
      return { ...entry, actorVerified: requester === 'enforced' };
    case 'rollout':
      return {
        ...entry,
        actorVerified: entry.actor === rolloutHubActor || requester === 'enforced',
      };
  }
}

/**
 * A sink appending to `ledger`, each actor marked verified or claimed by `requesterCheck`, read
 * at each append (unset: requesters are claimed). A failed append goes to `onError`, never thrown.
 */
export function ledgerSink(
  ledger: { append: (entry: NewEntry) => Promise<unknown> },
  onError: (entry: NewEntry, error: unknown) => void,
  requesterCheck: () => RequesterCheck = () => 'unenforced',
): AuditSink {
  return async (entry) => {
    try {
      await ledger.append(withActorCheck(entry, requesterCheck()));
    } catch (e) {
      onError(entry, e);
    }
  };
}
