/**
 * Runs `poll` every `intervalMs`, never two at once. `now()` asks for a run at once, or right
 * after the one under way: a shard taken must be listed without waiting for the interval.
 */
export class Resync {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly poll: () => Promise<void>,
  ) {}

  /** Runs one poll (which must not throw), then arms the next. */
  async run(): Promise<void> {
    this.running = true;
    try {
      await this.poll();
    } finally {
      this.running = false;
    }
    // A poll still in flight when stop() ran must not arm the timer again.
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      void this.run();
      return;
    }
    this.timer = setTimeout(() => void this.run(), this.intervalMs);
  }

  now(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
