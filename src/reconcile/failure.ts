import type { Application } from '../api/application.js';
import { appKeyOf, type AppKey } from '../api/app-key.js';
import { parseDuration } from '../api/schema-duration.js';
import { ApiServerRetryError, retryableOf, StageError, type ApplicationError } from './errors.js';
import type { RetryPolicy } from './app-state.js';
import type { Pass, StatusWrite } from './pass.js';
import type { Backoff } from './queue.js';
import type { ReconcilerDeps } from './reconcile.js';
import type { Outcome, ReconcileContext } from './runner.js';
import { recordEvent } from './status.js';
import { vaultRefreshMs } from './vault.js';

/** When an Application is looked at again after a pass: its interval, with jitter. */
export function intervalMs(app: Application): number {
  // Vault values are read again at their refresh interval, which a pass does.
  const ms = Math.min(
    parseDuration(app.spec.syncPolicy.interval) ?? 180_000,
    vaultRefreshMs(app) ?? Infinity,
  );
  // Jitter spreads the polls of many Applications that were created together.
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}

/**
 * Reports a failed pass in status and an Event, and decides when to look again. Without a
 * pass (the Application could not be read, or is being deleted) there is no status to write,
 * and no spec to take a backoff from: the work queue's own applies.
 */
export async function failed(
  deps: ReconcilerDeps,
  ctx: ReconcileContext,
  key: AppKey,
  pass: Pass | undefined,
  failure: ApplicationError,
): Promise<Outcome> {
  const { reason, problem } = failure;
  deps.log(
    { key: ctx.key, reconcileId: ctx.reconcileId, reason, err: problem },
    'reconcile failed',
  );
  // The apiserver asked to be tried again: back off, as long as it asked at least.
  const notBefore =
    failure instanceof ApiServerRetryError && failure.retryAfterMs !== undefined
      ? { notBeforeMs: failure.retryAfterMs }
      : {};
  if (pass === undefined) {
    // Unread (a throttled GET): the policy the last pass read, not the queue's minutes-long one.
    const known = deps.apps.retryPolicy(key);
    const backoff = known === undefined ? {} : { backoff: backoffOf(known) };
    return { kind: 'retry', error: failure, ...backoff, ...notBefore };
  }
  const app = pass.app;
  const before = app.status?.conditions?.find((c) => c.type === 'Ready');
  pass.cond('Ready', 'False', reason, problem);
  // One Event says the apiserver throttles; one more per retry would add writes to an
  // apiserver that asked for fewer, and compete with the sync's own for its slots.
  const throttledAgain = reason === 'Throttled' && before?.reason === 'Throttled';
  const refusal = failure instanceof StageError ? failure.verification : undefined;
  if (!throttledAgain)
    await recordEvent(deps, app, 'Warning', reason, problem, {
      revision: refusal?.revision ?? pass.status.sync?.revision,
      refused: refusal !== undefined,
    });
  if (failure instanceof StageError && failure.verification !== undefined) {
    const verification = failure.verification;
    pass.status = { ...pass.status, verification };
    pass.audited = { kind: 'refused', sha: verification.revision, reason: problem, verification };
    // Retrying cannot make a commit trusted; a new commit can, so look again at the next poll.
    return { kind: 'ok', requeueAfterMs: intervalMs(app) };
  }
  if (failure instanceof StageError && failure.reason === 'SubstitutionFailed') {
    // The same commit and variables fail the same way: only a change of either can help.
    pass.cond('Stalled', 'True', failure.reason, problem);
    return { kind: 'ok', requeueAfterMs: intervalMs(app) };
  }
  // "Try again" is retried until it passes: it is neither the spec's fault nor a bug.
  if (failure instanceof ApiServerRetryError)
    return {
      kind: 'retry',
      error: failure,
      backoff: backoffOf(app.spec.syncPolicy.retry),
      ...notBefore,
    };
  // Nor is a ledger that cannot be written: the pass waits for it however long it is down.
  if (failure instanceof StageError && failure.reason === 'LedgerUnavailable')
    return { kind: 'retry', error: failure, backoff: backoffOf(app.spec.syncPolicy.retry) };
  if (retriesExhausted(app, deps.apps.countFailure(key))) {
    // Stop hammering a failure that retries did not cure; the next interval starts over.
    const limit = app.spec.syncPolicy.retry.limit;
    pass.cond(
      'Stalled',
      'True',
      'RetriesExhausted',
      `${reason} after ${limit} retries: ${problem}`,
    );
    return { kind: 'ok', requeueAfterMs: intervalMs(app) };
  }
  return { kind: 'retry', error: failure, backoff: backoffOf(app.spec.syncPolicy.retry) };
}

/**
 * The outcome of a pass once its status write is known. The status is what says the revision
 * was applied (to users, and to the drift and health paths) and holds the inventory a later
 * prune works from, so a status the apiserver only asked to send again (a 429 under throttling,
 * a 5xx) is retried with the app's backoff, no sooner than its Retry-After, instead of waiting
 * for the next interval. A retry already decided keeps its own, lengthened to that wait. Other
 * refusals stay as they were: sending the same status again cannot cure them.
 */
export function afterStatusWrite(
  app: Application,
  outcome: Outcome,
  written: StatusWrite,
): Outcome {
  if (written.kind === 'written') return outcome;
  const retry = retryableOf(written.error);
  if (retry === undefined) return outcome;
  const wait = retry.retryAfterMs ?? 0;
  const notBefore = (ms: number): { notBeforeMs?: number } => (ms > 0 ? { notBeforeMs: ms } : {});
  if (outcome.kind === 'retry')
    return { ...outcome, ...notBefore(Math.max(wait, outcome.notBeforeMs ?? 0)) };
  if (outcome.kind === 'terminal') return outcome;
  const { reason, retryAfterMs, error: cause } = retry;
  const error = new ApiServerRetryError(appKeyOf(app), reason, retryAfterMs, cause.message, {
    cause,
  });
  return {
    kind: 'retry',
    error,
    backoff: backoffOf(app.spec.syncPolicy.retry),
    ...notBefore(wait),
  };
}

/** `spec.syncPolicy.retry.backoff` as the work queue takes it. */
function backoffOf(retry: RetryPolicy): Backoff {
  const b = retry.backoff;
  const base = parseDuration(b.duration) ?? 5_000;
  return {
    baseDelayMs: base,
    maxDelayMs: Math.max(base, parseDuration(b.maxDuration) ?? 180_000),
    factor: b.factor,
  };
}

/** Has this failure, the `failures`th in a row, used up `spec.syncPolicy.retry.limit`? */
function retriesExhausted(app: Application, failures: number): boolean {
  return failures - 1 >= app.spec.syncPolicy.retry.limit;
}
