import { describe, expect, it } from 'vitest';
import { backoffDelay, jitteredSeconds, parseWatchLine } from './watch-protocol.js';

describe('parseWatchLine', () => {
  it('reads a change', () => {
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } };
    expect(parseWatchLine(JSON.stringify({ type: 'MODIFIED', object }))).toEqual({
      kind: 'change',
      type: 'MODIFIED',
      object,
    });
  });

  it('reads a bookmark', () => {
    const line =
      '{"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"42"}}}';
    expect(parseWatchLine(line)).toEqual({ kind: 'bookmark', resourceVersion: '42' });
  });

  it('reads a 410 Gone error event', () => {
    const line = JSON.stringify({
      type: 'ERROR',
      object: {
        kind: 'Status',
        code: 410,
        reason: 'Expired',
        message: 'too old resource version: 1 (5)',
      },
    });
    expect(parseWatchLine(line)).toEqual({
      kind: 'error',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version: 1 (5)',
    });
  });

  it.each([
    ['not JSON', '{"type":'],
    ['not an object', '[1]'],
    ['an unknown type', '{"type":"RENAMED","object":{}}'],
    [
      'a change without a name',
      '{"type":"ADDED","object":{"apiVersion":"v1","kind":"X","metadata":{}}}',
    ],
    ['a bookmark without a version', '{"type":"BOOKMARK","object":{"metadata":{}}}'],
  ])('calls %s malformed', (_what, line) => {
    expect(parseWatchLine(line).kind).toBe('malformed');
  });
});

describe('backoffDelay', () => {
  const opts = { initialMs: 200, maxMs: 5_000 };

  it('doubles per attempt and stays between half and all of the step', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, opts, () => 0))).toEqual([100, 200, 400]);
    expect([1, 2, 3].map((n) => backoffDelay(n, opts, () => 1))).toEqual([200, 400, 800]);
  });

  it('is capped', () => {
    expect(backoffDelay(30, opts, () => 1)).toBe(5_000);
    expect(backoffDelay(1_000, opts, () => 0.5)).toBe(3_750);
  });
});

describe('jitteredSeconds', () => {
  it('spreads the timeout above its base, never below', () => {
    expect(jitteredSeconds(300, 0.2, () => 0)).toBe(300);
    expect(jitteredSeconds(300, 0.2, () => 1)).toBe(360);
  });
});
