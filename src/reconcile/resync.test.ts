import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Resync } from './resync.js';

describe('the Application resync', () => {
  let started: number[];
  let finish: (() => void)[];
  let resync: Resync;

  beforeEach(() => {
    vi.useFakeTimers();
    started = [];
    finish = [];
    resync = new Resync(30_000, () => {
      started.push(Date.now());
      return new Promise((resolve) => finish.push(resolve));
    });
  });
  afterEach(() => {
    resync.stop();
    vi.useRealTimers();
  });

  it('polls every interval, one poll at a time', async () => {
    const t0 = Date.now();
    void resync.run();
    finish[0]?.();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(started).toEqual([t0, t0 + 30_000]);
  });

  it('a poll asked for while one runs follows it at once, and only one does', async () => {
    void resync.run();
    resync.now();
    resync.now();
    expect(started).toHaveLength(1);
    finish[0]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(2);
    finish[1]?.();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(started).toHaveLength(2);
  });

  it('a poll asked for between polls runs now instead of at the interval', async () => {
    void resync.run();
    finish[0]?.();
    await vi.advanceTimersByTimeAsync(1_000);
    resync.now();
    expect(started).toHaveLength(2);
    finish[1]?.();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(started).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toHaveLength(3);
  });

  it('arms nothing once stopped, even when the poll under way ends after', async () => {
    void resync.run();
    resync.stop();
    finish[0]?.();
    resync.now();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(started).toHaveLength(1);
  });
});
