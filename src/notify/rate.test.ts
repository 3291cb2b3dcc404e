import { describe, expect, it } from 'vitest';
import { admit, flush, flushAtMs, maxSummarySubjects, type RateWindow } from './rate.js';
import { occurrence } from './testdata/fixtures.js';

const limit = { burst: 2, windowMs: 60_000 };

/** Admits occurrences of these apps at these times; returns decisions and the window. */
function feed(events: [number, string][]): { kinds: string[]; window: RateWindow | undefined } {
  let window: RateWindow | undefined;
  const kinds: string[] = [];
  for (const [at, name] of events) {
    const a = admit(window, at, limit, occurrence({ name }));
    kinds.push(a.kind);
    window = a.window;
  }
  return { kinds, window };
}

describe('admit', () => {
  it('sends the burst at once and holds the rest of the window for one summary', () => {
    const { kinds, window } = feed([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'c'],
      [4, 'd'],
    ]);
    expect(kinds).toEqual(['send', 'send', 'hold', 'hold', 'hold']);
    expect(window?.held).toMatchObject({
      count: 3,
      byOutcome: { DriftReverted: 3 },
      subjects: ['team-a/c', 'team-a/d'],
      others: false,
    });
    expect(flushAtMs(window as RateWindow, limit)).toBe(60_000);
  });

  it('starts a new window once the last one ended, so a quiet policy sends at once', () => {
    const { kinds } = feed([
      [0, 'a'],
      [1, 'a'],
      [60_001, 'a'],
    ]);
    expect(kinds).toEqual(['send', 'send', 'send']);
  });

  it('asks for the held summary first when a message comes after its window ended', () => {
    const { window } = feed([
      [0, 'a'],
      [1, 'a'],
      [2, 'a'],
    ]);
    const a = admit(window, 70_000, limit, occurrence());
    expect(a.kind).toBe('flush-first');
    const next = admit(a.window, 70_000, limit, occurrence());
    expect(next.kind).toBe('send');
  });

  it('names a few subjects and says there were others', () => {
    const names = Array.from({ length: maxSummarySubjects + 3 }, (_, i) => `app-${i}`);
    const { window } = feed([[0, 'x'], [0, 'y'], ...names.map((n): [number, string] => [1, n])]);
    expect(window?.held?.subjects).toHaveLength(maxSummarySubjects);
    expect(window?.held?.others).toBe(true);
    expect(window?.held?.count).toBe(names.length);
  });
});

describe('flush', () => {
  it('hands over the summary only once the window ended, and counts it in the next', () => {
    const { window } = feed([
      [0, 'a'],
      [1, 'a'],
      [2, 'b'],
    ]);
    const w = window as RateWindow;
    expect(flush(w, 59_999, limit).summary).toBeUndefined();
    const f = flush(w, 60_000, limit);
    expect(f.summary?.count).toBe(1);
    expect(f.window).toEqual({ startMs: 60_000, sent: 1, held: undefined });
  });
});
