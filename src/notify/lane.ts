import type { Verdict } from './backoff.js';
import type { Message } from './message.js';
import type { Occurrence } from './outcome.js';
import { admit, flush, flushAtMs, type RateLimit, type RateWindow } from './rate.js';

/** What a lane is given: its limit, how to send, and whom to tell. */
export interface LaneDeps {
  /** The policy's limit now (it may have been edited). */
  limit: () => RateLimit;
  /** One attempt to send a message; resolves to what to do next, never rejects. */
  attempt: (m: Message, attempt: number) => Promise<Verdict>;
  /** A message was dropped: retries exhausted, refused, or the lane was full. */
  dropped: (m: Message, why: string) => void;
  /** Messages one lane keeps waiting while its receiver is down; the oldest go first. */
  maxPending: number;
  now: () => number;
}

/**
 * One policy's deliveries: rate-limited into messages and summaries, sent one at a time in
 * order, each retried until it is delivered or given up. Lanes are independent, so a receiver
 * that is down or slow holds back its own policy's messages and no one else's.
 */
export class Lane {
  private window: RateWindow | undefined;
  private readonly pending: Message[] = [];
  private running = false;
  private stopped = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private waitTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LaneDeps) {}

  /** Takes an occurrence: sent now, or held for the window's summary. Returns at once. */
  offer(o: Occurrence): void {
    if (this.stopped) return;
    const limit = this.deps.limit();
    let a = admit(this.window, this.deps.now(), limit, o);
    if (a.kind === 'flush-first') {
      this.push({ kind: 'summary', summary: a.summary });
      a = admit(a.window, this.deps.now(), limit, o);
    }
    this.window = a.window;
    if (a.kind === 'send') this.push({ kind: 'one', occurrence: o });
    this.armFlush(limit);
  }

  /** Messages waiting, the one being sent included. */
  depth(): number {
    return this.pending.length;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.flushTimer);
    clearTimeout(this.waitTimer);
    this.wake?.();
  }

  private armFlush(limit: RateLimit): void {
    if (this.flushTimer !== undefined || this.window === undefined) return;
    const at = flushAtMs(this.window, limit);
    if (at === undefined) return;
    this.flushTimer = setTimeout(
      () => {
        this.flushTimer = undefined;
        if (this.window === undefined || this.stopped) return;
        const f = flush(this.window, this.deps.now(), this.deps.limit());
        this.window = f.window;
        if (f.summary !== undefined) this.push({ kind: 'summary', summary: f.summary });
        else this.armFlush(this.deps.limit());
      },
      Math.max(0, at - this.deps.now()),
    );
  }

  private push(m: Message): void {
    this.pending.push(m);
    // The one being sent (index 0) stays; the oldest waiting one makes room.
    if (this.pending.length > this.deps.maxPending) {
      const [old] = this.pending.splice(1, 1);
      if (old !== undefined)
        this.deps.dropped(old, `more than ${this.deps.maxPending} messages waiting`);
    }
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let m = this.pending[0]; m !== undefined && !this.stopped; m = this.pending[0]) {
        await this.send(m);
        this.pending.shift();
      }
    } finally {
      this.running = false;
    }
  }

  /** Attempts one message until it is delivered or given up. */
  private async send(m: Message): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      const v = await this.deps.attempt(m, attempt);
      if (v.kind === 'delivered') return;
      if (v.kind === 'give-up') {
        this.deps.dropped(m, v.why);
        return;
      }
      await this.sleep(v.afterMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.waitTimer = setTimeout(resolve, ms);
    });
  }
}
