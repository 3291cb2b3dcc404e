import type { NewEntry } from '../audit/index.js';
import type { AuditSink } from './audit.js';

/**
 * The ledger could not take a record, so no change may be applied until it does: the subject
 * is the store (its URL without a password), the message says what failed and what to do.
 */
export class LedgerUnavailableError extends Error {
  override readonly name = 'LedgerUnavailableError';
  constructor(
    readonly store: string,
    readonly held: number,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `audit ledger ${store} cannot be written (${why}); ${held} record(s) held in order until it can; ` +
        'no change is applied meanwhile: free space or restart the store',
      { cause },
    );
  }
}

export interface LedgerHoldOptions {
  /** The store, as messages name it: its URL without a password. */
  store: string;
  /** How often held records are tried again while the store refuses them. */
  retryMs: number;
  onError: (entry: NewEntry, error: unknown) => void;
  onRecovered: (written: number) => void;
}

/**
 * Puts "nothing unaudited" before "keep applying": a record the store refuses is held in
 * memory, in order, and tried again every `retryMs`; while any is held, `unavailable()` says
 * why and the reconcilers apply nothing (syncs and drift heals alike), so at most the changes
 * already under way when the store failed wait for their records. Records still held when the
 * process dies are lost; the controller logs each one at shutdown (see `close`).
 */
export class LedgerHold {
  private readonly held: NewEntry[] = [];
  private problem: LedgerUnavailableError | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly append: (entry: NewEntry) => Promise<unknown>,
    private readonly opts: LedgerHoldOptions,
  ) {}

  /** The sink the reconcilers write to; it never throws. */
  readonly sink: AuditSink = (entry) => {
    this.held.push(entry);
    return this.flush();
  };

  /** Why changes must wait now, or undefined while the store takes records. */
  unavailable(): LedgerUnavailableError | undefined {
    return this.held.length === 0 ? undefined : this.problem;
  }

  /** Writes what is held, in order; one flush at a time so the chain follows the calls. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeHeld());
    return this.flushing;
  }

  private async writeHeld(): Promise<void> {
    const wasDown = this.problem !== undefined;
    let written = 0;
    for (let next = this.held[0]; next !== undefined; next = this.held[0]) {
      try {
        await this.append(next);
      } catch (e) {
        this.problem = new LedgerUnavailableError(this.opts.store, this.held.length, e);
        this.opts.onError(next, e);
        this.retryLater();
        return;
      }
      this.held.shift();
      written++;
    }
    this.problem = undefined;
    if (wasDown) this.opts.onRecovered(written);
  }

  private retryLater(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.opts.retryMs);
    this.timer.unref();
  }

  /** Stops retrying after one last try; returns what is still held (to be logged, not lost silently). */
  async close(): Promise<readonly NewEntry[]> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.flush();
    return [...this.held];
  }
}
