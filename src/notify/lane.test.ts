import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Verdict } from './backoff.js';
import { Lane } from './lane.js';
import type { Message } from './message.js';
import { occurrence } from './testdata/fixtures.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A lane whose attempts answer from `answers` in turn (then delivered), recording each. */
function laneWith(answers: Verdict[], burst = 5) {
  const sent: { m: Message; attempt: number; at: number }[] = [];
  const dropped: string[] = [];
  const lane = new Lane({
    limit: () => ({ burst, windowMs: 60_000 }),
    attempt: (m, attempt) => {
      sent.push({ m, attempt, at: Date.now() });
      return Promise.resolve(answers.shift() ?? { kind: 'delivered' });
    },
    dropped: (_, why) => dropped.push(why),
    maxPending: 3,
    now: () => Date.now(),
  });
  return { lane, sent, dropped };
}

describe('Lane', () => {
  it('sends again after the wait a 503 asked for, until it is delivered', async () => {
    const { lane, sent } = laneWith([{ kind: 'retry', afterMs: 5_000 }]);
    lane.offer(occurrence());
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((s) => s.attempt)).toEqual([1]);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.map((s) => [s.attempt, s.at])).toEqual([
      [1, 0],
      [2, 5_000],
    ]);
    expect(lane.depth()).toBe(0);
  });

  it('keeps order: a later message waits for the one being retried', async () => {
    const { lane, sent } = laneWith([{ kind: 'retry', afterMs: 1_000 }]);
    lane.offer(occurrence({ name: 'first' }));
    lane.offer(occurrence({ name: 'second' }));
    await vi.advanceTimersByTimeAsync(2_000);
    const names = sent.map((s) => (s.m.kind === 'one' ? s.m.occurrence.name : 'summary'));
    expect(names).toEqual(['first', 'first', 'second']);
  });

  it('drops a message it gave up on and goes on with the next', async () => {
    const { lane, sent, dropped } = laneWith([{ kind: 'give-up', why: 'HTTP 401' }]);
    lane.offer(occurrence({ name: 'a' }));
    lane.offer(occurrence({ name: 'b' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(dropped).toEqual(['HTTP 401']);
    expect(sent).toHaveLength(2);
  });

  it('summarises a flood: the burst at once, then one summary when the window ends', async () => {
    const { lane, sent } = laneWith([], 2);
    for (let i = 0; i < 14; i++) lane.offer(occurrence({ name: `app-${i % 3}` }));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map((s) => s.m.kind)).toEqual(['one', 'one']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(3);
    const last = sent[2]?.m;
    expect(last?.kind === 'summary' ? last.summary.count : 0).toBe(12);
  });

  it('holds at most maxPending messages while the receiver is down, dropping the oldest waiting', async () => {
    const { lane, dropped } = laneWith(
      Array.from({ length: 100 }, (): Verdict => ({ kind: 'retry', afterMs: 10_000 })),
    );
    for (let i = 0; i < 5; i++) lane.offer(occurrence({ name: `app-${i}` }));
    await vi.advanceTimersByTimeAsync(0);
    expect(lane.depth()).toBe(3);
    expect(dropped).toHaveLength(2);
    lane.stop();
  });
});
