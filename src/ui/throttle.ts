/**
 * Failed sign-ins per client address. Each failure costs the apiserver a SelfSubjectReview, so
 * past `limit` failures in a window the address is refused without one until the window ends.
 * Pure but for the clock, which is injected.
 */
export interface ThrottleOptions {
  /** Failed sign-ins allowed per address and window. */
  limit: number;
  windowMs: number;
  /** Addresses remembered at once; beyond it the oldest windows are forgotten. */
  maxAddresses: number;
}

export function defaultThrottleOptions(): ThrottleOptions {
  return { limit: 10, windowMs: 60_000, maxAddresses: 10_000 };
}

interface Window {
  startMs: number;
  failures: number;
}

export class SignInThrottle {
  /** Map order is the order windows started: the first is the oldest. */
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly opts: ThrottleOptions = defaultThrottleOptions(),
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  waitMs(address: string): number {
    const w = this.current(address);
    if (w === undefined || w.failures < this.opts.limit) return 0;
    return w.startMs + this.opts.windowMs - this.now();
  }

  failed(address: string): void {
    const w = this.current(address);
    if (w !== undefined) {
      w.failures += 1;
      return;
    }
    this.windows.set(address, { startMs: this.now(), failures: 1 });
    while (this.windows.size > this.opts.maxAddresses) {
      const oldest = this.windows.keys().next();
      if (oldest.done === true) return;
      this.windows.delete(oldest.value);
    }
  }

  /** A good sign-in forgets the address's failures. */
  succeeded(address: string): void {
    this.windows.delete(address);
  }

  /** The address's window if it has not ended; an ended one is forgotten. */
  private current(address: string): Window | undefined {
    const w = this.windows.get(address);
    if (w === undefined) return undefined;
    if (this.now() - w.startMs < this.opts.windowMs) return w;
    this.windows.delete(address);
    return undefined;
  }
}
