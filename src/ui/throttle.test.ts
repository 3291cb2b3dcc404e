import { describe, expect, it } from 'vitest';
import { SignInThrottle } from './throttle.js';

function throttle(limit = 3, maxAddresses = 100) {
  let now = 1_000_000;
  const t = new SignInThrottle({ limit, windowMs: 60_000, maxAddresses }, () => now);
  return {
    t,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('SignInThrottle', () => {
  it('refuses an address after its limit of failures until the window that began with the first ends', () => {
    const { t, advance } = throttle();
    for (let i = 0; i < 3; i++) {
      expect(t.waitMs('10.0.0.1')).toBe(0);
      t.failed('10.0.0.1');
      advance(1_000);
    }
    expect(t.waitMs('10.0.0.1')).toBe(57_000);
    expect(t.waitMs('10.0.0.2')).toBe(0);
    advance(57_000);
    expect(t.waitMs('10.0.0.1')).toBe(0);
  });

  it('forgets the failures of an address that signs in', () => {
    const { t } = throttle();
    t.failed('10.0.0.1');
    t.failed('10.0.0.1');
    t.succeeded('10.0.0.1');
    t.failed('10.0.0.1');
    t.failed('10.0.0.1');
    expect(t.waitMs('10.0.0.1')).toBe(0);
  });

  it('remembers at most maxAddresses, forgetting the oldest, so a spray of addresses cannot grow it', () => {
    const { t } = throttle(1, 2);
    t.failed('a');
    t.failed('b');
    t.failed('c');
    expect(t.waitMs('a')).toBe(0);
    expect(t.waitMs('b')).toBeGreaterThan(0);
    expect(t.waitMs('c')).toBeGreaterThan(0);
  });
});
