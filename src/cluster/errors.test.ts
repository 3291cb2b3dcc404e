import { describe, expect, it } from 'vitest';
import { KubeApiError, retryAfterSecondsOf } from './errors.js';

const status = (code: number, reason: string, details: object = {}): string =>
  JSON.stringify({
    kind: 'Status',
    code,
    reason,
    message: `${reason} said the apiserver`,
    details,
  });

describe('KubeApiError from an apiserver answer', () => {
  it('a 429 with Retry-After: 3 waits 3 s, as the header asks', () => {
    const e = KubeApiError.from('Secret ns/creds', 'get', 429, status(429, 'TooManyRequests'), '3');
    expect(e).toMatchObject({ status: 429, reason: 'TooManyRequests', retryAfterSeconds: 3 });
  });

  it("the max-inflight filter's plain-text 429 keeps its Retry-After", () => {
    const e = KubeApiError.from(
      'Secret ns/creds',
      'get',
      429,
      'Too many requests, please try again later.\n',
      '1',
    );
    expect(e).toMatchObject({ status: 429, reason: 'Unknown', retryAfterSeconds: 1 });
    expect(e.message).toContain('Too many requests');
  });

  it("a 503 Status without the header asks for its details' retryAfterSeconds", () => {
    const body = status(503, 'ServiceUnavailable', { retryAfterSeconds: 2 });
    expect(KubeApiError.from('Application ns/a', 'patch', 503, body).retryAfterSeconds).toBe(2);
  });

  it('an answer that asks for no wait, or a nonsense one, waits 0 s', () => {
    expect(KubeApiError.from('x', 'get', 409, status(409, 'Conflict')).retryAfterSeconds).toBe(0);
    const odd = status(503, 'ServiceUnavailable', { retryAfterSeconds: 'soon' });
    expect(KubeApiError.from('x', 'get', 503, odd).retryAfterSeconds).toBe(0);
  });
});

describe('retryAfterSecondsOf', () => {
  it('reads delta-seconds, rounding up, and HTTP dates against now', () => {
    expect(retryAfterSecondsOf('0')).toBe(0);
    expect(retryAfterSecondsOf('1.2')).toBe(2);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSecondsOf('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5);
    expect(retryAfterSecondsOf('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('is 0 when absent, blank, negative or unreadable', () => {
    for (const h of [undefined, '', '  ', '-4', 'later'])
      expect(retryAfterSecondsOf(h), String(h)).toBe(0);
  });
});
