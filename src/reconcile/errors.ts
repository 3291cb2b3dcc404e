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

/** A reconcile threw instead of returning an outcome (a bug); it is retried like any failure. */
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
