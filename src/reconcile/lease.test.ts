import { describe, expect, it } from 'vitest';
import { judgeLease } from './lease.js';
import { formatMicroTime, parseMicroTime } from './microtime.js';

const t0 = Date.parse('2026-11-30T09:00:00.000Z');

describe('MicroTime', () => {
  it('writes six fractional digits, as the apiserver requires', () => {
    expect(formatMicroTime(t0 + 123)).toBe('2026-11-30T09:00:00.123000Z');
    expect(formatMicroTime(t0 + 123.456)).toBe('2026-11-30T09:00:00.123456Z');
    expect(formatMicroTime(t0)).toBe('2026-11-30T09:00:00.000000Z');
  });

  it('reads back what it writes, and other RFC 3339 forms', () => {
    expect(parseMicroTime('2026-11-30T09:00:00.123456Z')).toBeCloseTo(t0 + 123.456, 3);
    expect(parseMicroTime(formatMicroTime(t0 + 42))).toBe(t0 + 42);
    expect(parseMicroTime('2026-11-30T09:00:00Z')).toBe(t0);
    expect(parseMicroTime('2026-11-30T10:00:00.5+01:00')).toBe(t0 + 500);
  });

  it('refuses text that is not a time', () => {
    for (const bad of [
      '',
      'yesterday',
      '2026-11-30',
      '2026-11-30T09:00:00.123456',
      '2026-13-45T99:00:00Z',
    ]) {
      expect(parseMicroTime(bad), bad).toBeUndefined();
    }
  });
});

describe('judgeLease', () => {
  const renewed = (ms: number): string => formatMicroTime(t0 + ms);

  it('counts a lease with no holder as free, whatever its times say', () => {
    expect(judgeLease({}, 'me', t0, 15_000)).toEqual({ kind: 'free' });
    const released = { holderIdentity: '', leaseDurationSeconds: 1, renewTime: renewed(0) };
    expect(judgeLease(released, 'me', t0, 15_000)).toEqual({ kind: 'free' });
  });

  it('counts our own lease as ours even when it expired', () => {
    const spec = { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: renewed(-60_000) };
    expect(judgeLease(spec, 'me', t0, 15_000)).toEqual({ kind: 'ours' });
  });

  it("holds another's lease until renewTime plus its duration has passed", () => {
    const spec = { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: renewed(0) };
    expect(judgeLease(spec, 'me', t0 + 15_000, 1)).toEqual({
      kind: 'held',
      holder: 'other',
      expiresAt: t0 + 15_000,
    });
    expect(judgeLease(spec, 'me', t0 + 15_001, 1)).toEqual({ kind: 'expired', holder: 'other' });
  });

  it('falls back to acquireTime and to our own duration when the lease lacks them', () => {
    const spec = { holderIdentity: 'other', acquireTime: renewed(0) };
    expect(judgeLease(spec, 'me', t0 + 9_000, 10_000).kind).toBe('held');
    expect(judgeLease(spec, 'me', t0 + 10_001, 10_000).kind).toBe('expired');
  });

  it('counts a held lease with no readable time as expired', () => {
    const spec = { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: 'soon' };
    expect(judgeLease(spec, 'me', t0, 15_000)).toEqual({ kind: 'expired', holder: 'other' });
  });
});
