/** A flood of pushes queues an Application at most once per this long: a fetch per 2 s. */
export const pushWindowMs = 2_000;

/**
 * Webhook pushes, turned into queued reconciles of each Application; a flood of them costs at
 * most one pass, and so one fetch, per `windowMs`.
 *
 * The queue already merges a push that arrives while the Application waits, but not one that
 * arrives while it runs: that one queues another pass, and so another fetch. A flood of
 * authentic pushes for one repository (a busy monorepo, a replaying proxy, a leaked secret)
 * would then keep a worker and the Git server busy with back-to-back fetches. So a push that
 * arrives while its Application runs, within `windowMs` of the last push that queued it, is
 * held and queued when the window ends: the last push is never lost, and applied at most
 * `windowMs` late. A push to an idle Application is queued at once, so pushes one after the
 * other, each applied before the next, are not delayed.
 */
export class PushCoalescer<K> {
  /** When each Application was last queued by a push, oldest first. */
  private readonly queuedAt = new Map<K, number>();
  private readonly held = new Map<K, NodeJS.Timeout>();

  constructor(
    private readonly windowMs: number,
    private readonly enqueue: (key: K) => void,
    /** Whether a reconcile of `key` is running now. */
    private readonly running: (key: K) => boolean,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(key: K): void {
    if (this.held.has(key)) return;
    const t = this.now();
    this.forget(t);
    const last = this.queuedAt.get(key);
    if (last === undefined || t - last >= this.windowMs || !this.running(key)) {
      this.queue(key, t);
      return;
    }
    const timer = setTimeout(
      () => {
        this.held.delete(key);
        this.queue(key, this.now());
      },
      this.windowMs - (t - last),
    );
    timer.unref();
    this.held.set(key, timer);
  }

  /** Drops held pushes; the controller is stopping and queues nothing more. */
  close(): void {
    for (const timer of this.held.values()) clearTimeout(timer);
    this.held.clear();
  }

  private queue(key: K, t: number): void {
    // Re-inserted, so insertion order stays oldest first for forget().
    this.queuedAt.delete(key);
    this.queuedAt.set(key, t);
    this.enqueue(key);
  }

  /** Keeps memory bounded by the Applications pushed to within one window. */
  private forget(t: number): void {
    for (const [k, at] of this.queuedAt) {
      if (t - at < this.windowMs) break;
      this.queuedAt.delete(k);
    }
  }
}
