import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SealingKeys } from '../secrets/sealed/index.js';
import { SealingKeyRing, type SealingKeyOptions, type SealingKeyStore } from './sealing-keys.js';

const t0 = Date.parse('2026-12-08T03:00:00.000Z');
const options: SealingKeyOptions = {
  namespace: 'ballast-system',
  renewPeriodMs: 10_000,
  refreshMs: 60_000,
  modulusLength: 2048,
};

/** Key Secrets in one namespace; `failNext` makes the next requests fail, as a busy apiserver might. */
class KeyStore implements SealingKeyStore {
  private made: number[] = [];
  failNext = 0;
  reads = 0;
  /** Creations in flight at once, which must never exceed one. */
  private creating = 0;
  maxCreating = 0;

  constructor(notBefore: number[]) {
    this.made = [...notBefore];
  }

  get count(): number {
    return this.made.length;
  }

  read(): Promise<{ keys: SealingKeys; problems: string[] }> {
    this.reads += 1;
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error('the server is currently unable to handle the request'));
    }
    const keys = [...this.made]
      .sort((a, b) => b - a)
      .map((ms, i) => ({ source: `ns/k${i}`, keyPem: '', certPem: '', notBeforeMs: ms }));
    return Promise.resolve({ keys: { keys }, problems: [] });
  }

  async create(): Promise<{ name: string }> {
    this.creating += 1;
    this.maxCreating = Math.max(this.maxCreating, this.creating);
    // Key generation takes seconds.
    await new Promise((r) => setTimeout(r, 1_500));
    this.creating -= 1;
    // Certificates carry whole seconds.
    this.made.push(Math.floor(Date.now() / 1000) * 1000);
    return { name: `k${this.made.length}` };
  }
}

describe('SealingKeyRing', () => {
  const logs: string[] = [];
  const log = (_: Record<string, unknown>, msg: string): void => {
    logs.push(msg);
  };
  beforeEach(() => {
    vi.useFakeTimers({ now: t0 });
    logs.length = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('renews when the newest key comes due, not a whole refresh period later', async () => {
    const store = new KeyStore([t0 - 7_000]);
    const ring = new SealingKeyRing(store, options, log);
    await ring.start();
    await ring.lead();
    expect(store.count).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000 + 1_500);
    expect(store.count).toBe(2);
    expect(logs).toContain('new sealing key made');
    ring.stop();
  });

  it('retries a failed renewal within seconds instead of at the next refresh', async () => {
    const store = new KeyStore([t0 - 20_000]);
    const ring = new SealingKeyRing(store, options, log);
    await ring.start();
    store.failNext = 2;
    await ring.lead();
    expect(logs).toEqual(['cannot renew the sealing key']);
    // The retries come 2 s and then 4 s later; the second succeeds and makes the key.
    await vi.advanceTimersByTimeAsync(2_000 + 4_000 + 1_500);
    expect(store.count).toBe(2);
    ring.stop();
  });

  it('waits a whole refresh period after making a key, even when the period is shorter than key generation', async () => {
    const store = new KeyStore([t0 - 20_000]);
    const ring = new SealingKeyRing(store, { ...options, renewPeriodMs: 1_000 }, log);
    await ring.start();
    const led = ring.lead();
    await vi.advanceTimersByTimeAsync(1_500);
    await led;
    expect(store.count).toBe(2);
    await vi.advanceTimersByTimeAsync(options.refreshMs - 1);
    expect(store.count).toBe(2);
    await vi.advanceTimersByTimeAsync(1 + 1_500);
    expect(store.count).toBe(3);
    ring.stop();
  });

  it('never makes two keys at once when lead() comes during a timer check', async () => {
    const store = new KeyStore([t0 - 20_000]);
    const ring = new SealingKeyRing(store, options, log);
    await ring.start();
    const first = ring.lead();
    const second = ring.lead();
    await vi.advanceTimersByTimeAsync(1_500);
    await Promise.all([first, second]);
    expect(store.count).toBe(2);
    expect(store.maxCreating).toBe(1);
    ring.stop();
  });

  it('a follower only reads, every refresh period, and stops reading when stopped', async () => {
    const store = new KeyStore([t0 - 20_000]);
    const ring = new SealingKeyRing(store, options, log);
    await ring.start();
    await vi.advanceTimersByTimeAsync(options.refreshMs * 2);
    expect(store.reads).toBe(3);
    expect(store.count).toBe(1);
    ring.stop();
    await vi.advanceTimersByTimeAsync(options.refreshMs * 2);
    expect(store.reads).toBe(3);
  });
});
