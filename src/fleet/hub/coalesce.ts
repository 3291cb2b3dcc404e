/**
 * Turns a burst of "look again soon" into one look per key and window: the first `soon(key)`
 * starts a timer of `delayMs`, later ones within it ride on that timer, and when it fires `run`
 * is called once. A steady stream of calls therefore gives one run per window, never none
 * (a debounce that restarts its timer would starve a key that keeps changing).
 *
 * It keeps its own timers rather than the work queue's `addAfter`: the runner forgets a key's
 * scheduled add when a run of it ends, which would drop a look asked for during that run.
 */
export class Coalescer<K extends string = string> {
  private readonly timers = new Map<K, ReturnType<typeof setTimeout>>();
  private stopped = false;

  constructor(
    private readonly delayMs: number,
    private readonly run: (key: K) => void,
  ) {}

  /** Asks for a run of `key` within `delayMs`; one run answers every ask of the window. */
  soon(key: K): void {
    if (this.stopped || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.run(key);
    }, this.delayMs);
    this.timers.set(key, timer);
  }

  /**
   * Forgets the pending run of `key`: the caller is asking for a run now, which sees everything
   * the pending one would have seen.
   */
  cancel(key: K): void {
    const t = this.timers.get(key);
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(key);
  }

  /** Keys with a run pending. */
  get pending(): number {
    return this.timers.size;
  }

  /** Drops every pending run; later asks are ignored. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
