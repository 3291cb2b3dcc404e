import { randomBytes } from 'node:crypto';
import {
  InvalidOptionsError,
  ReconcileAbortedError,
  ReconcilePanicError,
  ReconcileTimeoutError,
} from './errors.js';
import type { Backoff, WorkQueue } from './queue.js';

/**
 * What one reconcile decided. `ok` may ask for a run later (a periodic resync); `retry` backs off
 * per key; `terminal` waits for the next change. There is no way to say "failed, and requeue in
 * N ms": a failure's delay is the queue's backoff (or the key's own backoff policy, such as an
 * Application's spec.syncPolicy.retry), so one policy governs every failure of a key. The one
 * exception can only lengthen it: `notBeforeMs`, the wait an apiserver asked for (Retry-After).
 */
export type Outcome =
  | { kind: 'ok'; requeueAfterMs?: number }
  | { kind: 'retry'; error: Error; backoff?: Backoff; notBeforeMs?: number }
  | { kind: 'terminal'; error: Error };

/** What a reconcile is told about its run. */
export interface ReconcileContext {
  /** Random short id of this run, for the reconciler's logs and Events. */
  reconcileId: string;
  key: string;
  /** Aborted when the run passes its timeout or the runner stops; pass it to every I/O call. */
  signal: AbortSignal;
  /** 1 for the first run after a success (or ever), n for the (n-1)th retry in a row. */
  attempt: number;
  /**
   * performance.now() when the key was last queued. The run must see what happened before
   * then (a pushed commit), and may share I/O begun since (a fetch).
   */
  queuedAt: number;
}

export type Reconcile<K extends string = string> = (
  key: K,
  ctx: ReconcileContext,
) => Promise<Outcome>;

/** One finished run, for metrics and logs. */
export interface ReconcileResult {
  key: string;
  reconcileId: string;
  attempt: number;
  /** The outcome as the queue saw it: a throw, a timeout or an abort is a `retry`. */
  outcome: Outcome;
  durationMs: number;
  /** When the key was scheduled to run again, in how many ms. */
  requeueInMs?: number;
}

export interface RunnerOptions {
  /** Reconciles running at once, across all keys; one key never runs twice at once. */
  workers: number;
  /** A run longer than this is aborted through its signal and retried. */
  timeoutMs: number;
  /**
   * After a run is aborted, how long its worker waits for it to return before moving on. The
   * key stays locked until the run returns, so a reconcile that ignores its signal can block
   * its own key but not the pool.
   */
  abortGraceMs: number;
  /** Called once per finished run. Errors it throws are ignored so metrics cannot stop work. */
  onResult: (result: ReconcileResult) => void;
}

/** Syncs of big applications take minutes; anything past 10 is stuck, not slow. */
export function defaultRunnerOptions(): RunnerOptions {
  return { workers: 4, timeoutMs: 600_000, abortGraceMs: 5_000, onResult: () => undefined };
}

export interface StopOptions {
  /** How long in-flight runs may take to finish before they are aborted. */
  drainMs: number;
}

/**
 * The kubelet kills a Pod 30 s after SIGTERM unless told otherwise: a 20 s drain, the 5 s abort
 * grace and handing the Lease back fit inside that.
 */
export function defaultStopOptions(): StopOptions {
  return { drainMs: 20_000 };
}

export type StopResult = { kind: 'drained' } | { kind: 'aborted'; keys: string[] };

export interface Runner {
  /** Runs started and not yet returned. */
  inFlight(): number;
  /** Keys ready and waiting for a worker. */
  depth(): number;
  /**
   * Shuts the queue down, waits up to `drainMs` for in-flight runs, then aborts the rest and
   * waits at most `abortGraceMs` more. Calling it again returns the first call's result.
   */
  stop(options?: Partial<StopOptions>): Promise<StopResult>;
}

/** One run in flight. */
interface Run<K extends string> {
  key: K;
  controller: AbortController;
  reconcileId: string;
  attempt: number;
  /** performance.now() at the start, for the duration. */
  started: number;
}

/** The runner aborts with its own errors only, so the reason names the cause (timeout, stop). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

const shortId = (): string => randomBytes(4).toString('hex');

/** Resolves `graceMs` after `signal` aborts; `cancel` drops the timer once it is not needed. */
function graceAfterAbort(signal: AbortSignal, graceMs: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    onAbort = () => {
      timer = setTimeout(resolve, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const cancel = (): void => {
    signal.removeEventListener('abort', onAbort);
    clearTimeout(timer);
  };
  return { promise, cancel };
}

/** True when `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls the reconcile, turning a throw (sync or async) into a retry. */
async function invoke<K extends string>(
  reconcile: Reconcile<K>,
  key: K,
  ctx: ReconcileContext,
): Promise<Outcome> {
  try {
    return await reconcile(key, ctx);
  } catch (e) {
    return { kind: 'retry', error: new ReconcilePanicError(key, e) };
  }
}

/** The one place an outcome becomes queue operations; returns the requeue delay, if any. */
function schedule<K extends string>(
  queue: WorkQueue<K>,
  key: K,
  outcome: Outcome,
): number | undefined {
  switch (outcome.kind) {
    case 'ok':
      queue.forget(key);
      if (outcome.requeueAfterMs === undefined || queue.isShutDown) return undefined;
      queue.addAfter(key, outcome.requeueAfterMs);
      return outcome.requeueAfterMs;
    case 'retry':
      return queue.addRateLimited(key, outcome.backoff, outcome.notBeforeMs);
    case 'terminal':
      queue.forget(key);
      return undefined;
  }
}

function validate(o: RunnerOptions): RunnerOptions {
  if (!(Number.isInteger(o.workers) && o.workers >= 1))
    throw new InvalidOptionsError('runner', 'workers must be an integer >= 1');
  if (!(o.timeoutMs > 0)) throw new InvalidOptionsError('runner', 'timeoutMs must be > 0');
  if (!(o.abortGraceMs >= 0)) throw new InvalidOptionsError('runner', 'abortGraceMs must be >= 0');
  return o;
}

/**
 * Starts `workers` loops taking keys from `queue` and reconciling them. Each run gets a timeout
 * and panic recovery, and its outcome is mapped to the queue here and nowhere else. The runner
 * owns the queue from now on: `stop` shuts it down.
 */
export function startRunner<K extends string>(
  queue: WorkQueue<K>,
  reconcile: Reconcile<K>,
  partial: Partial<RunnerOptions> = {},
): Runner {
  return new WorkerPool(queue, reconcile, validate({ ...defaultRunnerOptions(), ...partial }));
}

class WorkerPool<K extends string> implements Runner {
  /** Each run not yet returned, with the promise that settles when it has. */
  private readonly inflight = new Map<Run<K>, Promise<void>>();
  private readonly workers: Promise<unknown>;
  private stopping: Promise<StopResult> | undefined;

  constructor(
    private readonly queue: WorkQueue<K>,
    private readonly reconcile: Reconcile<K>,
    private readonly opts: RunnerOptions,
  ) {
    this.workers = Promise.all(Array.from({ length: opts.workers }, () => this.work()));
  }

  inFlight(): number {
    return this.inflight.size;
  }

  depth(): number {
    return this.queue.depth();
  }

  stop(partial: Partial<StopOptions> = {}): Promise<StopResult> {
    this.stopping ??= this.drain({ ...defaultStopOptions(), ...partial });
    return this.stopping;
  }

  private async drain({ drainMs }: StopOptions): Promise<StopResult> {
    this.queue.shutDown();
    // Runs whose worker gave up on them after an abort count too: they still hold their keys.
    const idle = Promise.all([this.workers, ...this.inflight.values()]);
    if (await settlesWithin(idle, drainMs)) return { kind: 'drained' };
    const keys = [...this.inflight.keys()].map((r) => r.key);
    for (const run of this.inflight.keys()) {
      run.controller.abort(new ReconcileAbortedError(run.key, drainMs));
    }
    await this.workers;
    return { kind: 'aborted', keys };
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.runKey(key);
    }
  }

  /** Runs one key; resolves when the worker may move on (the run returned, or its grace ran out). */
  private async runKey(key: K): Promise<void> {
    const run: Run<K> = {
      key,
      controller: new AbortController(),
      reconcileId: shortId(),
      attempt: this.queue.failuresOf(key) + 1,
      started: performance.now(),
    };
    const { reconcileId, attempt, controller } = run;
    const ctx: ReconcileContext = {
      reconcileId,
      key,
      signal: controller.signal,
      attempt,
      queuedAt: this.queue.addedAt(key),
    };
    const timer = setTimeout(() => {
      controller.abort(new ReconcileTimeoutError(key, this.opts.timeoutMs));
    }, this.opts.timeoutMs);
    const grace = graceAfterAbort(controller.signal, this.opts.abortGraceMs);
    const settled = invoke(this.reconcile, key, ctx).then((outcome) => {
      clearTimeout(timer);
      grace.cancel();
      this.finish(run, outcome);
    });
    this.inflight.set(run, settled);
    await Promise.race([settled, grace.promise]);
  }

  private finish(run: Run<K>, outcome: Outcome): void {
    // An aborted run's own answer is not trusted: it was cut short, whatever it says.
    const effective: Outcome = run.controller.signal.aborted
      ? { kind: 'retry', error: abortReason(run.controller.signal) }
      : outcome;
    const requeueInMs = schedule(this.queue, run.key, effective);
    this.queue.done(run.key);
    this.inflight.delete(run);
    const result: ReconcileResult = {
      key: run.key,
      reconcileId: run.reconcileId,
      attempt: run.attempt,
      outcome: effective,
      durationMs: performance.now() - run.started,
      ...(requeueInMs === undefined ? {} : { requeueInMs }),
    };
    try {
      this.opts.onResult(result);
    } catch {
      // A metrics hook must not take a worker down with it.
    }
  }
}
