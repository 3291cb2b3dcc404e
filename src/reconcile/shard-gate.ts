import type { AppKey } from '../api/app-key.js';
import { InvalidOptionsError } from './errors.js';
import type { ShardWork } from './shard-elector.js';
import { shardOf } from './shard.js';

/** What the gate tells its controller, and how long a stopping shard may drain. */
export interface ShardGateOptions {
  /** The shard count, the same on every replica. */
  shards: number;
  /** A shard was taken: its Applications are to be listed and queued. */
  gained: (shard: number) => void;
  /** A shard's work stopped: what is known of its Applications is to be dropped. */
  dropped: (shard: number) => void;
  /** How long in-flight passes of a shard given back may finish before they are aborted. */
  drainMs: number;
}

/** A shard being worked on. */
interface Active {
  /** Aborted when the Lease is lost, or when a drain runs out of time. */
  controller: AbortController;
}

/** Thrown into a pass's signal when its shard's drain ran out of time. */
export class ShardDrainTimeoutError extends Error {
  override readonly name = 'ShardDrainTimeoutError';
  constructor(
    readonly shard: number,
    readonly drainMs: number,
  ) {
    super(`shard ${shard}: in-flight passes did not finish within ${drainMs} ms; aborted`);
  }
}

/**
 * Which Applications this replica works on, when the controller is sharded: every pass of an
 * Application (reconcile, drift, health) runs through `run`, which lets it start only while
 * its shard is held, and counts it while it runs, so `stop` knows when the shard is quiet.
 */
export class ShardGate implements ShardWork {
  private readonly active = new Map<number, Active>();
  private readonly running = new Map<number, number>();
  /** Called when a shard's running count drops to zero. */
  private readonly quiet = new Map<number, (() => void)[]>();
  private readonly stops = new Map<number, Promise<void>>();

  constructor(private readonly opts: ShardGateOptions) {
    if (!(Number.isInteger(opts.shards) && opts.shards >= 1))
      throw new InvalidOptionsError('shard gate', 'shards must be an integer >= 1');
  }

  shardOf(key: AppKey): number {
    return shardOf(key, this.opts.shards);
  }

  /** Whether `key`'s shard is held and working now. */
  owns(key: AppKey): boolean {
    return this.active.has(this.shardOf(key));
  }

  /** The shards being worked on, in order. */
  held(): number[] {
    return [...this.active.keys()].sort((a, b) => a - b);
  }

  /**
   * Runs one pass of `key` with a signal that aborts when its shard is lost; returns `idle`
   * without running it when the shard is not held (any more).
   */
  async run<T>(key: AppKey, pass: (signal: AbortSignal) => Promise<T>, idle: T): Promise<T> {
    const shard = this.shardOf(key);
    const a = this.active.get(shard);
    if (a === undefined) return idle;
    this.running.set(shard, (this.running.get(shard) ?? 0) + 1);
    try {
      return await pass(a.controller.signal);
    } finally {
      const left = (this.running.get(shard) ?? 1) - 1;
      if (left > 0) this.running.set(shard, left);
      else {
        this.running.delete(shard);
        const waiters = this.quiet.get(shard) ?? [];
        this.quiet.delete(shard);
        for (const w of waiters) w();
      }
    }
  }

  start(shard: number, signal: AbortSignal): void {
    const controller = new AbortController();
    const abort = (): void => {
      controller.abort(signal.reason);
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    this.active.set(shard, { controller });
    this.opts.gained(shard);
  }

  /**
   * No pass of the shard starts from now on; those in flight may finish within the drain (at
   * once if the Lease was lost: their signal has aborted), then are aborted, and the promise
   * resolves when the last one has returned. Idempotent while a stop is under way.
   */
  stop(shard: number): Promise<void> {
    const pending = this.stops.get(shard);
    if (pending !== undefined) return pending;
    const stopping = this.drain(shard).finally(() => this.stops.delete(shard));
    this.stops.set(shard, stopping);
    return stopping;
  }

  private async drain(shard: number): Promise<void> {
    const a = this.active.get(shard);
    this.active.delete(shard);
    this.opts.dropped(shard);
    if (!(this.running.get(shard) ?? 0)) return;
    const idle = new Promise<void>((resolve) => {
      this.quiet.set(shard, [...(this.quiet.get(shard) ?? []), resolve]);
    });
    const timer = setTimeout(() => {
      a?.controller.abort(new ShardDrainTimeoutError(shard, this.opts.drainMs));
    }, this.opts.drainMs);
    // A pass that ignores its signal holds the shard, and so its Lease, until it returns.
    await idle;
    clearTimeout(timer);
    // A pass that finished during the drain may have recorded state for the shard again.
    this.opts.dropped(shard);
  }
}
