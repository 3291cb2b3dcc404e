import type { Application } from '../api/application.js';
import type { AppKey } from '../api/app-key.js';
import { parseDuration } from '../api/schema-duration.js';
import { ApiServerRetryError, StageError, type ApplicationError } from './errors.js';
import type { Pass } from './pass.js';
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
  if (pass === undefined) return { kind: 'retry', error: failure, ...notBefore };
  const app = pass.app;
  pass.cond('Ready', 'False', reason, problem);
  const refusal = failure instanceof StageError ? failure.verification : undefined;
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
    return { kind: 'retry', error: failure, backoff: backoffOf(app), ...notBefore };
  // Nor is a ledger that cannot be written: the pass waits for it however long it is down.
  if (failure instanceof StageError && failure.reason === 'LedgerUnavailable')
    return { kind: 'retry', error: failure, backoff: backoffOf(app) };
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
  return { kind: 'retry', error: failure, backoff: backoffOf(app) };
}

/** `spec.syncPolicy.retry.backoff` as the work queue takes it. */
function backoffOf(app: Application): Backoff {
  const b = app.spec.syncPolicy.retry.backoff;
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
