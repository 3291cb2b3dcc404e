import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionsError } from './errors.js';
import { WorkQueue } from './queue.js';

/** Takes every key that is ready now, marking each done at once. */
async function drain(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.depth() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands keys out once each, in the order they became ready', async () => {
    const q = new WorkQueue();
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    expect(q.depth()).toBe(3);
    expect(await drain(q)).toEqual(['a', 'b', 'c']);
  });

  it('tells a run when its key was last asked for, so it can share a fetch begun since', async () => {
    const q = new WorkQueue();
    const t0 = performance.now();
    q.add('a');
    vi.advanceTimersByTime(50);
    q.add('a');
    expect(await q.get()).toBe('a');
    expect(q.addedAt('a')).toBeGreaterThanOrEqual(t0 + 50);
    vi.advanceTimersByTime(50);
    q.add('a');
    const again = q.addedAt('a');
    expect(again).toBeGreaterThanOrEqual(t0 + 100);
    q.done('a');
    expect(await q.get()).toBe('a');
    expect(q.addedAt('a')).toBe(again);
  });

  it('hands a key re-added while processing out again only after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.depth()).toBe(0);
    q.done('a');
    expect(q.depth()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.depth()).toBe(0);
  });

  it('wakes a waiting get when a key is added', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('a');
    expect(await waiting).toBe('a');
    expect(q.processingCount()).toBe(1);
  });

  it('keeps the earliest due time when a key is added after a delay twice', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 1000);
    q.addAfter('a', 5000);
    await vi.advanceTimersByTimeAsync(999);
    expect(q.depth()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await drain(q)).toEqual(['a']);
    // The later request was dropped, not kept as a second timer.
    expect(q.scheduledCount()).toBe(0);

    q.addAfter('b', 5000);
    q.addAfter('b', 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await drain(q)).toEqual(['b']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(q.depth()).toBe(0);
  });

  it('lets an immediate add supersede a scheduled one', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 1000);
    q.add('a');
    expect(q.scheduledCount()).toBe(0);
    expect(await drain(q)).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(q.depth()).toBe(0);
  });

  it('grows the retry delay by the factor up to the ceiling, and forget starts over', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 100, factor: 3 });
    const delays = [1, 2, 3, 4, 5].map(() => {
      const d = q.addRateLimited('a');
      q.forget('a'); // drop the scheduled add so the next call schedules afresh…
      return d;
    });
    // …but forget also resets the count, so every delay is the base one.
    expect(delays).toEqual([10, 10, 10, 10, 10]);

    const growing = [1, 2, 3, 4, 5].map(() => q.addRateLimited('b'));
    expect(growing).toEqual([10, 30, 90, 100, 100]);
    expect(q.failuresOf('b')).toBe(5);
    q.forget('b');
    expect(q.failuresOf('b')).toBe(0);
    expect(q.scheduledCount()).toBe(0);
  });

  it("backs off a key by its own policy when one is given, as an Application's spec.retry asks", () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 100, factor: 3 });
    const own = { baseDelayMs: 5_000, maxDelayMs: 12_000, factor: 2 };
    expect([1, 2, 3].map(() => q.addRateLimited('app', own))).toEqual([5_000, 10_000, 12_000]);
    expect(q.addRateLimited('other')).toBe(10);
    q.shutDown();
  });

  it('waits at least the Retry-After an apiserver asked for, and never past the backoff ceiling', () => {
    const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 10_000, factor: 2 });
    // The backoff says 100, 200, 400 ms; the apiserver asked for 1 s each time.
    expect([1, 2, 3].map(() => q.addRateLimited('throttled', undefined, 1_000))).toEqual([
      1_000, 1_000, 1_000,
    ]);
    // Once the backoff grows past it, the backoff stands.
    q.forget('throttled');
    for (let i = 0; i < 4; i++) q.addRateLimited('throttled');
    expect(q.addRateLimited('throttled', undefined, 1_000)).toBe(1_600);
    // An hour-long Retry-After cannot park a key past the ceiling.
    expect(q.addRateLimited('parked', undefined, 3_600_000)).toBe(10_000);
    q.shutDown();
  });

  it('ignores adds after shut down and releases waiting workers', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.addAfter('later', 100);
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    q.addAfter('b', 10);
    expect(q.addRateLimited('c')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    expect(q.depth()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('refuses options that cannot work', () => {
    expect(() => new WorkQueue({ factor: 0.5 })).toThrow(InvalidOptionsError);
    expect(() => new WorkQueue({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(/maxDelayMs/);
  });
});
