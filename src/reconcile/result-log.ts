import { isReported } from './errors.js';
import { reconcileLogger, type Logger } from './log.js';
import type { ReconcileResult } from './runner.js';

/**
 * The runner's view of a finished run. Stage failures were already narrated by the
 * reconciler; a timeout, abort or throw was not, so those are warnings here.
 */
export function logReconcileResult(root: Logger, r: ReconcileResult): void {
  const { logger } = reconcileLogger(root, r);
  const fields = {
    outcome: r.outcome.kind,
    attempt: r.attempt,
    durationMs: Math.round(r.durationMs),
    ...(r.requeueInMs === undefined ? {} : { requeueInMs: r.requeueInMs }),
  };
  if (r.outcome.kind === 'ok') {
    logger.debug(fields, 'reconcile finished');
    return;
  }
  const err = r.outcome.error;
  if (isReported(err)) logger.debug({ ...fields, err: err.message }, 'reconcile finished');
  else logger.warn({ ...fields, err: err.message }, 'reconcile did not finish');
}
