import { describe, expect, it } from 'vitest';
import { retryAfterMs, retryDelayMs, verdictOf } from './backoff.js';

const opts = { baseDelayMs: 1_000, maxDelayMs: 60_000, maxAttempts: 4 };
const noJitter = (): number => 0;

describe('retryDelayMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, opts, noJitter))).toEqual([
      1_000, 2_000, 4_000, 8_000, 60_000,
    ]);
  });

  it('adds at most half again as jitter', () => {
    expect(retryDelayMs(2, opts, () => 0.999)).toBeLessThan(3_000);
    expect(retryDelayMs(2, opts, () => 0.999)).toBeGreaterThan(2_900);
  });

  it('waits at least what Retry-After asked, within the cap', () => {
    expect(retryDelayMs(1, opts, noJitter, 30_000)).toBe(30_000);
    expect(retryDelayMs(1, opts, noJitter, 3_600_000)).toBe(60_000);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2026-12-07T23:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7_000);
    expect(retryAfterMs('Mon, 07 Dec 2026 23:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('verdictOf', () => {
  const at = (answer: Parameters<typeof verdictOf>[0], attempt = 1) =>
    verdictOf(answer, attempt, opts, 0, noJitter);

  it('calls any 2xx delivered', () => {
    expect(at({ kind: 'status', status: 204 })).toEqual({ kind: 'delivered' });
  });

  it('retries 429 and 503 no sooner than Retry-After', () => {
    expect(at({ kind: 'status', status: 503, retryAfter: '5' })).toEqual({
      kind: 'retry',
      afterMs: 5_000,
    });
    expect(at({ kind: 'status', status: 429 })).toEqual({ kind: 'retry', afterMs: 1_000 });
  });

  it('retries a network error', () => {
    expect(at({ kind: 'network', error: 'ECONNREFUSED' }).kind).toBe('retry');
  });

  it('gives up on a refusal (4xx) and on a redirect at once', () => {
    expect(at({ kind: 'status', status: 401 })).toMatchObject({ kind: 'give-up' });
    expect(at({ kind: 'status', status: 302 })).toMatchObject({ kind: 'give-up' });
  });

  it('gives up after the last attempt', () => {
    expect(at({ kind: 'status', status: 503 }, opts.maxAttempts)).toEqual({
      kind: 'give-up',
      why: 'HTTP 503 after 4 attempts',
    });
  });
});
