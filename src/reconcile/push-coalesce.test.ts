import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PushCoalescer } from './push-coalesce.js';

let queued: string[];
let pushes: PushCoalescer<string>;
/** Whether the Application's reconcile is running: during a flood, it always is. */
let running: boolean;

beforeEach(() => {
  vi.useFakeTimers();
  queued = [];
  running = true;
  pushes = new PushCoalescer<string>(
    2_000,
    (k) => queued.push(k),
    () => running,
    () => Date.now(),
  );
});

afterEach(() => {
  pushes.close();
  vi.useRealTimers();
});

describe('pushes for one Application', () => {
  it('a first push queues at once; a flood within the window is queued once when it ends', () => {
    pushes.push('team-a/shop');
    expect(queued).toEqual(['team-a/shop']);
    for (let i = 0; i < 1_000; i += 1) {
      vi.advanceTimersByTime(1);
      pushes.push('team-a/shop');
    }
    expect(queued).toEqual(['team-a/shop']);
    vi.advanceTimersByTime(1_000);
    // The last push of the flood is not lost: it is queued when the window ends.
    expect(queued).toEqual(['team-a/shop', 'team-a/shop']);
  });

  it('a 10 s flood queues one reconcile per window, plus the first', () => {
    for (let ms = 0; ms < 10_000; ms += 5) {
      pushes.push('team-a/shop');
      vi.advanceTimersByTime(5);
    }
    vi.advanceTimersByTime(2_000);
    expect(queued).toHaveLength(6);
  });

  it('pushes one after the other, each arriving once the last run ended, are queued at once', () => {
    running = false;
    for (let i = 0; i < 5; i += 1) {
      pushes.push('team-a/shop');
      vi.advanceTimersByTime(300);
    }
    expect(queued).toHaveLength(5);
  });

  it('pushes for different Applications do not hold each other', () => {
    pushes.push('team-a/shop');
    pushes.push('team-b/blog');
    expect(queued).toEqual(['team-a/shop', 'team-b/blog']);
  });

  it('a push after a quiet window queues at once, and close drops a held one', () => {
    pushes.push('team-a/shop');
    vi.advanceTimersByTime(2_000);
    pushes.push('team-a/shop');
    expect(queued).toHaveLength(2);
    pushes.push('team-a/shop');
    pushes.close();
    vi.advanceTimersByTime(5_000);
    expect(queued).toHaveLength(2);
  });
});
