/**
 * The errors of the reconcile machinery, and how a reconcile applies the error rule stated in
 * src/api/errors.ts: `failureOf` is the one place where whatever a pass threw becomes a typed
 * failure carrying its Ready condition reason.
 */
import type { Outcome } from './runner.js';
import { groupedErrors, isForbidden, type SyncObjectError } from '../apply/errors.js';
import { ApiServerUnreachableError, KubeApiError, UnknownKindError } from '../cluster/errors.js';
import { GitError } from '../source/git.js';
import { VerificationError } from '../source/verify/index.js';
import type { VerificationStatus } from './trust.js';

/** Options that cannot work together (a zero worker pool, a renew deadline past the lease). */
export class InvalidOptionsError extends Error {
  override readonly name = 'InvalidOptionsError';
  constructor(
    readonly subject: string,
    readonly problem: string,
  ) {
    super(`${subject}: ${problem}`);
  }
}

/** A reconcile ran past its timeout and was aborted through its signal; it is retried. */
export class ReconcileTimeoutError extends Error {
  override readonly name = 'ReconcileTimeoutError';
  constructor(
    readonly key: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${key}: reconcile did not finish within ${timeoutMs} ms and was aborted; it will be retried`,
    );
  }
}

/**
 * A reconcile threw instead of returning an outcome. Reconcilers turn every failure into an
 * outcome (rule 4 of src/api/errors.ts), so this is a bug in Ballast; it is retried all the same.
 */
export class ReconcilePanicError extends Error {
  override readonly name = 'ReconcilePanicError';
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`${key}: reconcile threw instead of returning an outcome (${why}); treated as a retry`, {
      cause,
    });
  }
}

/** A reconcile was aborted because the runner is stopping; it is not retried by this runner. */
export class ReconcileAbortedError extends Error {
  override readonly name = 'ReconcileAbortedError';
  constructor(
    readonly key: string,
    readonly drainMs: number,
  ) {
    super(
      `${key}: reconcile aborted: the runner is stopping and ${drainMs} ms of drain time ran out`,
    );
  }
}

/** A request on the election's Lease failed or timed out; the elector retries on its own. */
export class LeaseRequestError extends Error {
  override readonly name = 'LeaseRequestError';
  constructor(
    readonly lease: string,
    readonly verb: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Lease.coordination.k8s.io/${lease}: ${verb} failed: ${detail}`, options);
  }
}

/** Why a term of leadership ended; the reason of the signal handed to onStartedLeading. */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
  constructor(
    readonly lease: string,
    readonly identity: string,
    readonly why: string,
  ) {
    super(`Lease.coordination.k8s.io/${lease}: ${identity} is no longer the leader: ${why}`);
  }
}

/** Why a replica's work on one shard ended; the reason of the signal handed to ShardWork.start. */
export class ShardLostError extends Error {
  override readonly name = 'ShardLostError';
  constructor(
    readonly lease: string,
    readonly identity: string,
    readonly why: string,
  ) {
    super(`Lease.coordination.k8s.io/${lease}: ${identity} no longer holds the shard: ${why}`);
  }
}

/**
 * The Ready condition reasons of a failed pass. Each names what to fix; the last three say
 * that nothing needs fixing and the pass will be tried again.
 */
export type FailureReason =
  | 'CredentialsNotFound'
  | 'InvalidCredentials'
  | 'FetchFailed'
  | 'VerificationError'
  | 'VerificationFailed'
  | 'NonFastForward'
  | 'LargeCommit'
  | 'DecryptionFailed'
  | 'RenderFailed'
  | 'SubstitutionFailed'
  | 'UnsealFailed'
  | 'VaultUnresolved'
  | 'VaultUnavailable'
  | 'SyncRefused'
  | 'ApplyFailed'
  | 'Forbidden'
  | 'LedgerUnavailable'
  | 'ReconcileError'
  | RetryReason;

/** The reasons of apiserver answers that mean "try again" (rule 5 of src/api/errors.ts). */
export type RetryReason = 'Conflict' | 'Throttled' | 'ApiServerUnavailable';

/**
 * One Application's pass failed. `reason` becomes its Ready condition's reason and `problem`
 * the condition's message; the error's own message also names the Application, for logs.
 */
export abstract class ApplicationError extends Error {
  abstract readonly reason: FailureReason;
  constructor(
    /** The Application, `namespace/name`. */
    readonly subject: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${problem}`, options);
  }
}

/** A stage of the pass failed for a reason of its own: bad input, a refusal, a Git failure. */
export class StageError extends ApplicationError {
  override readonly name = 'StageError';
  constructor(
    subject: string,
    readonly reason: Exclude<FailureReason, RetryReason | 'ReconcileError'>,
    problem: string,
    options?: { cause?: unknown; verification?: VerificationStatus },
  ) {
    super(subject, problem, options);
    this.verification = options?.verification;
  }

  /** Set when the trust stage refused the target: status shows what was checked. */
  readonly verification: VerificationStatus | undefined;
}

const retryHint: Record<RetryReason, string> = {
  Conflict: 'the object changed while it was being written',
  Throttled: 'the apiserver is throttling requests',
  ApiServerUnavailable: 'the apiserver is unavailable',
};

/**
 * The apiserver answered 409, 429 or 5xx, or could not be reached. Retried with backoff, never
 * sooner than `retryAfterMs`, and not counted against `spec.syncPolicy.retry.limit`.
 */
export class ApiServerRetryError extends ApplicationError {
  override readonly name = 'ApiServerRetryError';
  constructor(
    subject: string,
    readonly reason: RetryReason,
    /** The wait the apiserver asked for (Retry-After); undefined when it did not ask. */
    readonly retryAfterMs: number | undefined,
    /** What the apiserver said, e.g. a KubeApiError's message. */
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(subject, `${retryHint[reason]}, retrying with backoff: ${detail}`, options);
  }
}

/** A pass failed with an error no class above accounts for; it may be a bug, so it is logged. */
export class UnexpectedReconcileError extends ApplicationError {
  override readonly name = 'UnexpectedReconcileError';
  readonly reason = 'ReconcileError';
  constructor(subject: string, cause: unknown) {
    super(subject, cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** How an apiserver answer asks to be retried. */
interface Retryable {
  reason: RetryReason;
  retryAfterMs: number | undefined;
  /** The apiserver's own error, for the message and `cause`. */
  error: Error;
}

function retryReasonOf(status: number): RetryReason | undefined {
  if (status === 409) return 'Conflict';
  if (status === 429) return 'Throttled';
  return status >= 500 && status <= 599 ? 'ApiServerUnavailable' : undefined;
}

/**
 * The "try again" answer in `e` or in its `cause` chain (a SyncObjectError wraps the apiserver's
 * KubeApiError). By class and status only: a 403 or a 422 is an answer about the request.
 */
export function retryableOf(e: unknown): Retryable | undefined {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 8; depth++) {
    if (cur instanceof ApiServerRetryError)
      return { reason: cur.reason, retryAfterMs: cur.retryAfterMs, error: cur };
    if (cur instanceof ApiServerUnreachableError)
      return { reason: 'ApiServerUnavailable', retryAfterMs: undefined, error: cur };
    if (cur instanceof KubeApiError) {
      const reason = retryReasonOf(cur.status);
      if (reason === undefined) return undefined;
      const ms = cur.retryAfterSeconds * 1000;
      return { reason, retryAfterMs: ms > 0 ? ms : undefined, error: cur };
    }
    cur = cur.cause;
  }
  return undefined;
}

/**
 * What a pass that threw `e` reports: the one place a thrown error becomes a reason (rule 4).
 * Typed failures keep theirs; Git and verification failures are the source's; RBAC's refusal
 * is `Forbidden`, since its fix is a grant, never a retry.
 */
export function failureOf(subject: string, e: unknown): ApplicationError {
  if (e instanceof ApplicationError) return e;
  const retry = retryableOf(e);
  if (retry !== undefined)
    return new ApiServerRetryError(subject, retry.reason, retry.retryAfterMs, retry.error.message, {
      cause: retry.error,
    });
  if (e instanceof GitError) return new StageError(subject, 'FetchFailed', e.message, { cause: e });
  if (e instanceof VerificationError)
    return new StageError(subject, 'VerificationError', e.message, { cause: e });
  if (e instanceof KubeApiError && isForbidden(e))
    return new StageError(subject, 'Forbidden', e.message, { cause: e });
  return new UnexpectedReconcileError(subject, e);
}

/**
 * The failure of a sync whose objects were refused (`SyncRefused`) or failed to apply
 * (`ApplyFailed`). RBAC refusing any of them is `Forbidden`; when the apiserver only said "try
 * again" to every one, the sync is retried as such, after the longest Retry-After among them.
 */
export function syncFailureOf(
  subject: string,
  errors: readonly SyncObjectError[],
  otherwise: 'SyncRefused' | 'ApplyFailed',
): ApplicationError {
  const text = groupedErrors(errors).join('; ');
  if (errors.some((e) => isForbidden(e.cause))) return new StageError(subject, 'Forbidden', text);
  const retries = errors.map(retryableOf);
  const first = retries[0];
  if (first === undefined || retries.some((r) => r === undefined))
    return new StageError(subject, otherwise, text);
  const waits = retries.map((r) => r?.retryAfterMs ?? 0);
  const longest = Math.max(...waits);
  return new ApiServerRetryError(subject, first.reason, longest > 0 ? longest : undefined, text, {
    cause: first.error,
  });
}

/**
 * Was this failure already narrated, in the Application's status and an Event? The runner then
 * logs it quietly; anything else (a timeout, an abort, an unexpected error) is a warning.
 */
export function isReported(e: Error): boolean {
  return e instanceof StageError || e instanceof ApiServerRetryError;
}

/**
 * The outcome of a side path (a drift check, a health write) whose apiserver request failed.
 * "Try again" answers are retried with the queue's backoff, not before their Retry-After; the
 * apiserver's other answers are retried as they are. Anything else is rethrown: the runner
 * reports it as the bug it is.
 */
export function apiFailureOutcome(subject: string, e: unknown): Outcome {
  const retry = retryableOf(e);
  if (retry !== undefined) {
    const { reason, retryAfterMs, error } = retry;
    return {
      kind: 'retry',
      error: new ApiServerRetryError(subject, reason, retryAfterMs, error.message, {
        cause: error,
      }),
      ...(retryAfterMs === undefined ? {} : { notBeforeMs: retryAfterMs }),
    };
  }
  if (e instanceof KubeApiError || e instanceof UnknownKindError)
    return { kind: 'retry', error: e };
  throw e;
}
