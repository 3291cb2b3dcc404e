import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../../reconcile/queue.js';
import { startRunner, type Runner } from '../../reconcile/runner.js';
import { Coalescer } from './coalesce.js';

describe('Coalescer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('turns a burst of 500 status reports into one run after the window', async () => {
    const runs: string[] = [];
    const c = new Coalescer<string>(500, (k) => runs.push(k));
    for (let i = 0; i < 500; i++) {
      c.soon('shop/web');
      await vi.advanceTimersByTimeAsync(0.5);
    }
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(250);
    expect(runs).toEqual(['shop/web']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toEqual(['shop/web']);
  });

  it('runs once per window under a steady stream, never starving the key as a debounce would', async () => {
    const runs: number[] = [];
    const c = new Coalescer<string>(500, () => runs.push(Date.now()));
    const t0 = Date.now();
    for (let i = 0; i < 200; i++) {
      c.soon('shop/web');
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(runs.map((t) => t - t0)).toEqual([500, 1000, 1500, 2000]);
  });

  it('keeps one window per key', async () => {
    const runs: string[] = [];
    const c = new Coalescer<string>(500, (k) => runs.push(k));
    c.soon('a');
    await vi.advanceTimersByTimeAsync(300);
    c.soon('b');
    c.soon('a');
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(300);
    expect(runs).toEqual(['a', 'b']);
  });

  it('drops the pending run of a key asked for now, and every run once stopped', async () => {
    const runs: string[] = [];
    const c = new Coalescer<string>(500, (k) => runs.push(k));
    c.soon('a');
    c.soon('b');
    c.cancel('a');
    expect(c.pending).toBe(1);
    c.stop();
    c.soon('c');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([]);
  });
});

describe('a Coalescer in front of the runner', () => {
  let runner: Runner | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(async () => {
    const stopping = runner?.stop({ drainMs: 0 });
    await vi.advanceTimersByTimeAsync(60_000);
    await stopping;
    runner = undefined;
    vi.useRealTimers();
  });

  it('still runs a key whose report came during its run, though the run ends with a far requeue', async () => {
    const queue = new WorkQueue<string>({ baseDelayMs: 200, maxDelayMs: 30_000 });
    const c = new Coalescer<string>(500, (k) => {
      queue.add(k);
    });
    const starts: number[] = [];
    const t0 = Date.now();
    runner = startRunner(
      queue,
      async () => {
        starts.push(Date.now() - t0);
        await new Promise((r) => setTimeout(r, 1_000));
        // As the hub does: look again when the source is due, minutes away.
        return { kind: 'ok', requeueAfterMs: 180_000 };
      },
      { workers: 1, timeoutMs: 60_000 },
    );
    queue.add('shop/web');
    await vi.advanceTimersByTimeAsync(100);
    // An agent reports while the run is in flight; the window closes while it still runs.
    c.soon('shop/web');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(starts).toEqual([0, 1_000]);
  });

  it('lets a burst of 500 reports over 2 s cost a handful of runs, not 500', async () => {
    const queue = new WorkQueue<string>();
    const c = new Coalescer<string>(500, (k) => {
      queue.add(k);
    });
    let runs = 0;
    runner = startRunner(
      queue,
      async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 100));
        return { kind: 'ok' };
      },
      { workers: 4, timeoutMs: 60_000 },
    );
    for (let i = 0; i < 500; i++) {
      c.soon('shop/web');
      await vi.advanceTimersByTimeAsync(4);
    }
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toBe(4);
  });
});
