import { describe, expect, it } from 'vitest';
import type { NewEntry } from '../audit/index.js';
import { LedgerHold } from './ledger-hold.js';

const entry = (name: string): NewEntry => ({ kind: 'suspend', app: { namespace: 'ns', name } });

/** A store that refuses appends while `down` is true, and keeps what it took in order. */
function store(): { down: boolean; took: string[]; append: (e: NewEntry) => Promise<void> } {
  const s = {
    down: false,
    took: [] as string[],
    append: (e: NewEntry): Promise<void> => {
      if (s.down) return Promise.reject(new Error('database or disk is full'));
      s.took.push(e.app.name);
      return Promise.resolve();
    },
  };
  return s;
}

describe('LedgerHold', () => {
  it('holds refused records in order, reports the store as unavailable meanwhile, and writes them once it is back', async () => {
    const s = store();
    const recovered: number[] = [];
    const hold = new LedgerHold(s.append, {
      store: 'postgres://ballast@db:5432/audit',
      retryMs: 60_000,
      onError: () => undefined,
      onRecovered: (n) => recovered.push(n),
    });
    await hold.sink(entry('a'));
    expect(hold.unavailable()).toBeUndefined();
    s.down = true;
    await hold.sink(entry('b'));
    await hold.sink(entry('c'));
    const why = hold.unavailable();
    expect(why?.store).toBe('postgres://ballast@db:5432/audit');
    expect(why?.message).toMatch(
      /database or disk is full.*2 record\(s\) held.*no change is applied/,
    );
    s.down = false;
    await hold.sink(entry('d'));
    expect(s.took).toEqual(['a', 'b', 'c', 'd']);
    expect(hold.unavailable()).toBeUndefined();
    expect(recovered).toEqual([3]);
    expect(await hold.close()).toEqual([]);
  });

  it('returns what the store never took at close, so the caller can log it', async () => {
    const s = store();
    s.down = true;
    const hold = new LedgerHold(s.append, {
      store: 'sqlite:/var/lib/ballast/audit.db',
      retryMs: 60_000,
      onError: () => undefined,
      onRecovered: () => undefined,
    });
    await hold.sink(entry('a'));
    expect(await hold.close()).toEqual([entry('a')]);
  });
});
