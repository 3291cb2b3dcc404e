import { InvalidOptionsError } from './errors.js';

/** How a work queue spaces out the retries of a failing key. */
export interface QueueOptions {
  /** Delay before the first retry of a key; doubled (by `factor`) for each failure in a row. */
  baseDelayMs: number;
  /** Ceiling on any retry delay, so a broken key is still looked at regularly. */
  maxDelayMs: number;
  /** Growth of the delay per consecutive failure; 2 doubles it. */
  factor: number;
}

/**
 * 100 ms catches a conflict or a not-yet-ready dependency at once; 5 minutes keeps a key that
 * keeps failing checked without hammering the apiserver or the Git host.
 */
/** A key's own backoff, e.g. an Application's `spec.syncPolicy.retry.backoff`. */
export type Backoff = Pick<QueueOptions, 'baseDelayMs' | 'maxDelayMs' | 'factor'>;

export function defaultQueueOptions(): QueueOptions {
  return { baseDelayMs: 100, maxDelayMs: 300_000, factor: 2 };
}

function validate(o: QueueOptions): QueueOptions {
  if (!(o.baseDelayMs >= 0)) throw new InvalidOptionsError('queue', 'baseDelayMs must be >= 0');
  if (!(o.maxDelayMs >= o.baseDelayMs))
    throw new InvalidOptionsError('queue', 'maxDelayMs must be >= baseDelayMs');
  if (!(o.factor >= 1)) throw new InvalidOptionsError('queue', 'factor must be >= 1');
  return o;
}

/** A key due to be added later, and the timer that will add it. */
interface Scheduled {
  dueAt: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A key-only, level-triggered work queue in the manner of client-go's workqueue.
 *
 * A key is in at most one of three places: ready (waiting for a worker), processing (handed out
 * by `get` and not yet `done`), or neither. Adding a ready key does nothing; adding a key being
 * processed marks it dirty, so it is handed out once more after `done` and never to two workers
 * at once. Keys are handed out in the order they became ready.
 */
export class WorkQueue<K extends string = string> {
  private readonly opts: QueueOptions;
  /** FIFO of ready keys; `head` avoids an O(n) shift per `get`. */
  private ready: K[] = [];
  private head = 0;
  /** Keys that must be handed out (again): the ready ones, and processing ones re-added. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly scheduled = new Map<K, Scheduled>();
  private readonly failures = new Map<K, number>();
  /** performance.now() of each key's latest `add`, for `addedAt`. */
  private readonly lastAdd = new Map<K, number>();
  private waiters: ((key: K | undefined) => void)[] = [];
  private closed = false;

  constructor(partial: Partial<QueueOptions> = {}) {
    this.opts = validate({ ...defaultQueueOptions(), ...partial });
  }

  /** Asks for a run of `key` now. A no-op when it is already waiting or the queue is shut down. */
  add(key: K): void {
    if (this.closed) return;
    this.lastAdd.set(key, performance.now());
    // A run is coming sooner than any scheduled one, and its outcome schedules the next.
    this.unschedule(key);
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /**
   * Asks for a run of `key` after `delayMs`. When the key is already due earlier (scheduled, or
   * ready, or re-added while processing) the earlier time stands.
   */
  addAfter(key: K, delayMs: number): void {
    if (this.closed || this.dirty.has(key)) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const dueAt = Date.now() + delayMs;
    const existing = this.scheduled.get(key);
    if (existing !== undefined && existing.dueAt <= dueAt) return;
    if (existing !== undefined) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.scheduled.delete(key);
      this.add(key);
    }, delayMs);
    this.scheduled.set(key, { dueAt, timer });
  }

  /**
   * Counts a failure of `key` and asks for a run after its backoff delay, which it returns
   * (undefined once the queue is shut down). `backoff` overrides the queue's own for this key.
   * `notBeforeMs` is a wait the failure itself asked for (an apiserver's Retry-After): the delay
   * is at least that, up to the backoff's ceiling, so no answer can park a key for longer.
   */
  addRateLimited(key: K, backoff?: Backoff, notBeforeMs = 0): number | undefined {
    if (this.closed) return undefined;
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const b = backoff ?? this.opts;
    const backedOff = Math.min(b.maxDelayMs, b.baseDelayMs * Math.pow(b.factor, failures));
    const delay = Math.max(backedOff, Math.min(notBeforeMs, b.maxDelayMs));
    this.addAfter(key, delay);
    return delay;
  }

  /**
   * Clears what the queue remembers about `key` beyond a pending run: its failure count (so the
   * next failure backs off from the base delay) and any scheduled add. A run already asked for
   * by `add` still happens.
   */
  forget(key: K): void {
    this.failures.delete(key);
    this.unschedule(key);
  }

  /**
   * performance.now() when `key` was last asked for: what its run must see is whatever happened
   * before then, so the run may share work (a Git fetch) begun since.
   */
  addedAt(key: K): number {
    return this.lastAdd.get(key) ?? performance.now();
  }

  /** Failures of `key` in a row since it last succeeded or was forgotten. */
  failuresOf(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next ready key, waiting for one if none is ready; the caller owns it until `done`.
   * Undefined once the queue is shut down, even if keys are still ready.
   */
  get(): Promise<K | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const key = this.shift();
    if (key !== undefined) {
      this.take(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends the processing of `key`; if it was re-added meanwhile it becomes ready again. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.closed) this.push(key);
    else this.lastAdd.delete(key);
  }

  /** Keys ready and waiting for a worker. */
  depth(): number {
    return this.ready.length - this.head;
  }

  /** Whether `key` was handed out and is not done yet. */
  isProcessing(key: K): boolean {
    return this.processing.has(key);
  }

  /** Keys handed out and not yet done. */
  processingCount(): number {
    return this.processing.size;
  }

  /** Keys with a run scheduled for later (requeue-after or backoff). */
  scheduledCount(): number {
    return this.scheduled.size;
  }

  get isShutDown(): boolean {
    return this.closed;
  }

  /** Stops handing out keys and drops scheduled ones; waiting `get` calls resolve undefined. */
  shutDown(): void {
    this.closed = true;
    for (const s of this.scheduled.values()) clearTimeout(s.timer);
    this.scheduled.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }

  private push(key: K): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.ready.push(key);
      return;
    }
    this.take(key);
    waiter(key);
  }

  private take(key: K): void {
    this.dirty.delete(key);
    this.processing.add(key);
  }

  private shift(): K | undefined {
    if (this.head >= this.ready.length) return undefined;
    const key = this.ready[this.head++];
    // Compact now and then so a long-lived queue does not keep every key it ever held.
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  private unschedule(key: K): void {
    const s = this.scheduled.get(key);
    if (s === undefined) return;
    clearTimeout(s.timer);
    this.scheduled.delete(key);
  }
}
