import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconcileAbortedError, ReconcilePanicError, ReconcileTimeoutError } from './errors.js';
import { WorkQueue } from './queue.js';
import {
  startRunner,
  type Outcome,
  type ReconcileContext,
  type ReconcileResult,
  type Runner,
} from './runner.js';

const ok: Outcome = { kind: 'ok' };

/** A promise the test resolves by hand, to hold a reconcile mid-run. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Lets every settled promise run its continuations without moving the clock. */
const flush = (): Promise<void> => vi.advanceTimersByTimeAsync(0).then(() => undefined);

/** Resolves when the run's signal aborts: a reconcile that honours cancellation. */
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });

/** Counts runs in flight, overall and per key. */
class Tracker {
  active = 0;
  maxActive = 0;
  readonly perKey = new Map<string, number>();
  maxPerKey = 0;
  readonly runs: { key: string; at: number; ctx: ReconcileContext }[] = [];
  enter(key: string, ctx: ReconcileContext): void {
    this.runs.push({ key, at: Date.now(), ctx });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const n = (this.perKey.get(key) ?? 0) + 1;
    this.perKey.set(key, n);
    this.maxPerKey = Math.max(this.maxPerKey, n);
  }
  leave(key: string): void {
    this.active--;
    this.perKey.set(key, (this.perKey.get(key) ?? 1) - 1);
  }
  runsOf(key: string): number {
    return this.runs.filter((r) => r.key === key).length;
  }
}

describe('the reconcile runner', () => {
  let runner: Runner | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(async () => {
    // Even a test that failed mid-run must not leave work behind: abort it, past its grace.
    const stopping = runner?.stop({ drainMs: 0 });
    await vi.advanceTimersByTimeAsync(60_000);
    await stopping;
    runner = undefined;
    vi.useRealTimers();
  });

  it('never runs the same key on two workers at once, even when it is re-added mid-run', async () => {
    const queue = new WorkQueue();
    const t = new Tracker();
    const gates: ReturnType<typeof gate>[] = [];
    runner = startRunner(
      queue,
      async (key, ctx) => {
        t.enter(key, ctx);
        const g = gate();
        gates.push(g);
        await g.wait;
        t.leave(key);
        return ok;
      },
      { workers: 4 },
    );
    queue.add('ns/app');
    await flush();
    expect(t.runsOf('ns/app')).toBe(1);
    queue.add('ns/app');
    queue.add('ns/app');
    queue.add('ns/app');
    await flush();
    // Three idle workers, and still only one run: the re-adds wait for the first to finish.
    expect(t.runsOf('ns/app')).toBe(1);
    gates[0]?.open();
    await flush();
    expect(t.runsOf('ns/app')).toBe(2);
    gates[1]?.open();
    await flush();
    expect(t.runsOf('ns/app')).toBe(2);
    expect(t.maxPerKey).toBe(1);
    expect(runner.inFlight()).toBe(0);
  });

  it('collapses many adds of one key into one run', async () => {
    const queue = new WorkQueue();
    const t = new Tracker();
    const busy = gate();
    runner = startRunner(
      queue,
      async (key, ctx) => {
        t.enter(key, ctx);
        if (key === 'busy') await busy.wait;
        t.leave(key);
        return ok;
      },
      { workers: 1 },
    );
    queue.add('busy');
    await flush();
    for (let i = 0; i < 100; i++) queue.add('ns/app');
    expect(runner.depth()).toBe(1);
    busy.open();
    await flush();
    expect(t.runsOf('ns/app')).toBe(1);
    expect(runner.depth()).toBe(0);
  });

  it('backs off exponentially on retry and resets after success', async () => {
    const queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000, factor: 2 });
    const t = new Tracker();
    const results: ReconcileResult[] = [];
    // Runs 0-4 fail, 5 succeeds, 6 fails, 7 succeeds.
    const failing = new Set([0, 1, 2, 3, 4, 6]);
    runner = startRunner(
      queue,
      (key, ctx) => {
        const n = t.runs.length;
        t.enter(key, ctx);
        t.leave(key);
        const outcome: Outcome = failing.has(n)
          ? { kind: 'retry', error: new Error(`run ${n} failed`) }
          : ok;
        return Promise.resolve(outcome);
      },
      { onResult: (r) => results.push(r) },
    );
    queue.add('ns/app');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.runs).toHaveLength(6);
    const gaps = t.runs.slice(1).map((r, i) => r.at - (t.runs[i]?.at ?? 0));
    expect(gaps).toEqual([100, 200, 400, 800, 1000]);
    expect(t.runs.map((r) => r.ctx.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => r.requeueInMs)).toEqual([100, 200, 400, 800, 1000, undefined]);

    queue.add('ns/app');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.runs).toHaveLength(8);
    expect((t.runs[7]?.at ?? 0) - (t.runs[6]?.at ?? 0)).toBe(100);
    expect(t.runs.slice(6).map((r) => r.ctx.attempt)).toEqual([1, 2]);
  });

  it("a throttled run is not retried before the apiserver's Retry-After, though its backoff is shorter", async () => {
    const queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 60_000, factor: 2 });
    const t = new Tracker();
    const results: ReconcileResult[] = [];
    // Three throttled runs (429, Retry-After: 3), then a success.
    runner = startRunner(
      queue,
      (key, ctx) => {
        const n = t.runs.length;
        t.enter(key, ctx);
        t.leave(key);
        const outcome: Outcome =
          n < 3 ? { kind: 'retry', error: new Error('429'), notBeforeMs: 3_000 } : ok;
        return Promise.resolve(outcome);
      },
      { onResult: (r) => results.push(r) },
    );
    queue.add('ns/app');
    await vi.advanceTimersByTimeAsync(2_999);
    expect(t.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(t.runs).toHaveLength(4);
    const gaps = t.runs.slice(1).map((r, i) => r.at - (t.runs[i]?.at ?? 0));
    expect(gaps).toEqual([3_000, 3_000, 3_000]);
    expect(results.map((r) => r.requeueInMs)).toEqual([3_000, 3_000, 3_000, undefined]);
  });

  it('aborts a reconcile over its timeout and retries it', async () => {
    const queue = new WorkQueue({ baseDelayMs: 100 });
    const t = new Tracker();
    const results: ReconcileResult[] = [];
    let reason: unknown;
    runner = startRunner(
      queue,
      async (key, ctx) => {
        t.enter(key, ctx);
        if (ctx.attempt === 1) {
          await aborted(ctx.signal);
          reason = ctx.signal.reason;
        }
        t.leave(key);
        // Says ok even when cut short: the runner must not believe it.
        return ok;
      },
      { timeoutMs: 1000, onResult: (r) => results.push(r) },
    );
    queue.add('ns/slow');
    await vi.advanceTimersByTimeAsync(999);
    expect(results).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(reason).toBeInstanceOf(ReconcileTimeoutError);
    expect(results[0]?.outcome.kind).toBe('retry');
    expect(results[0]?.outcome.kind === 'retry' && results[0].outcome.error).toBeInstanceOf(
      ReconcileTimeoutError,
    );
    expect(t.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(t.runs).toHaveLength(2);
    expect(t.runs[1]?.ctx.attempt).toBe(2);
    expect(results[1]?.outcome.kind).toBe('ok');
  });

  it('frees the worker of a reconcile that ignores its abort, but keeps its key locked', async () => {
    const queue = new WorkQueue({ baseDelayMs: 100 });
    const t = new Tracker();
    const stuck = gate();
    runner = startRunner(
      queue,
      async (key, ctx) => {
        t.enter(key, ctx);
        if (key === 'ns/stuck' && ctx.attempt === 1) await stuck.wait;
        t.leave(key);
        return ok;
      },
      { workers: 1, timeoutMs: 1000, abortGraceMs: 500 },
    );
    queue.add('ns/stuck');
    queue.add('ns/other');
    await vi.advanceTimersByTimeAsync(1499);
    expect(t.runsOf('ns/other')).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.runsOf('ns/other')).toBe(1);
    queue.add('ns/stuck');
    await vi.advanceTimersByTimeAsync(5000);
    expect(t.runsOf('ns/stuck')).toBe(1);
    expect(runner.inFlight()).toBe(1);
    stuck.open();
    await vi.advanceTimersByTimeAsync(100);
    expect(t.runsOf('ns/stuck')).toBe(2);
    expect(t.maxPerKey).toBe(1);
  });

  it('treats a thrown error as a retry and keeps serving other keys', async () => {
    const queue = new WorkQueue({ baseDelayMs: 60_000 });
    const t = new Tracker();
    const results: ReconcileResult[] = [];
    const boom = new Error('boom');
    runner = startRunner(
      queue,
      (key, ctx) => {
        t.enter(key, ctx);
        t.leave(key);
        if (key === 'ns/throws') throw boom;
        if (key === 'ns/rejects') return Promise.reject(new Error('async boom'));
        return Promise.resolve(ok);
      },
      { workers: 1, onResult: (r) => results.push(r) },
    );
    for (const k of ['ns/throws', 'ns/a', 'ns/rejects', 'ns/b']) queue.add(k);
    await flush();
    expect(results.map((r) => [r.key, r.outcome.kind])).toEqual([
      ['ns/throws', 'retry'],
      ['ns/a', 'ok'],
      ['ns/rejects', 'retry'],
      ['ns/b', 'ok'],
    ]);
    const first = results[0]?.outcome;
    expect(first?.kind === 'retry' && first.error).toBeInstanceOf(ReconcilePanicError);
    expect(first?.kind === 'retry' && first.error.cause).toBe(boom);
    expect(queue.scheduledCount()).toBe(2);
  });

  it('maps terminal to no retry and ok with requeueAfterMs to one run later', async () => {
    const queue = new WorkQueue({ baseDelayMs: 10 });
    const t = new Tracker();
    runner = startRunner(queue, (key, ctx) => {
      t.enter(key, ctx);
      t.leave(key);
      if (key === 'ns/bad-spec')
        return Promise.resolve({ kind: 'terminal', error: new Error('x') });
      return Promise.resolve(t.runsOf(key) === 1 ? { kind: 'ok', requeueAfterMs: 5000 } : ok);
    });
    queue.add('ns/bad-spec');
    queue.add('ns/resync');
    await vi.advanceTimersByTimeAsync(4999);
    expect(t.runsOf('ns/resync')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.runsOf('ns/resync')).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.runsOf('ns/resync')).toBe(2);
    expect(t.runsOf('ns/bad-spec')).toBe(1);
  });

  it('bounded concurrency', async () => {
    const queue = new WorkQueue();
    const t = new Tracker();
    runner = startRunner(
      queue,
      async (key, ctx) => {
        t.enter(key, ctx);
        await new Promise((resolve) => setTimeout(resolve, 100));
        t.leave(key);
        return ok;
      },
      { workers: 3 },
    );
    for (let i = 0; i < 10; i++) queue.add(`ns/app-${i}`);
    await flush();
    expect(t.active).toBe(3);
    expect(runner.depth()).toBe(7);
    await vi.advanceTimersByTimeAsync(399);
    expect(t.runs).toHaveLength(10);
    expect(t.active).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.active).toBe(0);
    expect(t.maxActive).toBe(3);
  });

  it('stop waits for in-flight work', async () => {
    const queue = new WorkQueue();
    const t = new Tracker();
    runner = startRunner(
      queue,
      async (key, ctx) => {
        t.enter(key, ctx);
        await new Promise((resolve) => setTimeout(resolve, 300));
        t.leave(key);
        return ok;
      },
      { workers: 1 },
    );
    queue.add('ns/a');
    queue.add('ns/b');
    await flush();
    let stopped: unknown;
    void runner.stop({ drainMs: 1000 }).then((r) => (stopped = r));
    await vi.advanceTimersByTimeAsync(299);
    expect(stopped).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toEqual({ kind: 'drained' });
    // Stopping takes no new work: the queued key never ran, and adds are ignored.
    queue.add('ns/c');
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.runs.map((r) => r.key)).toEqual(['ns/a']);
  });

  it('stop aborts in-flight work once the drain time runs out, without requeueing it', async () => {
    const queue = new WorkQueue();
    const results: ReconcileResult[] = [];
    runner = startRunner(
      queue,
      async (_key, ctx) => {
        await aborted(ctx.signal);
        return ok;
      },
      { workers: 2, onResult: (r) => results.push(r) },
    );
    queue.add('ns/a');
    queue.add('ns/b');
    await flush();
    let stopped: unknown;
    void runner.stop({ drainMs: 500 }).then((r) => (stopped = r));
    await vi.advanceTimersByTimeAsync(499);
    expect(stopped).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toEqual({ kind: 'aborted', keys: ['ns/a', 'ns/b'] });
    const errors = results.map((r) => (r.outcome.kind === 'retry' ? r.outcome.error : undefined));
    expect(errors.every((e) => e instanceof ReconcileAbortedError)).toBe(true);
    expect(queue.scheduledCount()).toBe(0);
    expect(runner.inFlight()).toBe(0);
  });

  it('stop returns within drain plus grace even when a reconcile ignores its abort', async () => {
    const queue = new WorkQueue();
    runner = startRunner(queue, () => new Promise<Outcome>(() => undefined), {
      abortGraceMs: 200,
    });
    queue.add('ns/stuck');
    await flush();
    let stopped: unknown;
    void runner.stop({ drainMs: 100 }).then((r) => (stopped = r));
    await vi.advanceTimersByTimeAsync(299);
    expect(stopped).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toEqual({ kind: 'aborted', keys: ['ns/stuck'] });
    // It never returned, so it still counts as in flight and still holds its key.
    expect(runner.inFlight()).toBe(1);
    expect(queue.processingCount()).toBe(1);
  });
});
