import { describe, expect, it } from 'vitest';
import { diffLines, type Edit } from './linediff.js';

function apply(edits: readonly Edit[]): { before: string[]; after: string[] } {
  return {
    before: edits.filter((e) => e.op !== 'insert').map((e) => e.line),
    after: edits.filter((e) => e.op !== 'delete').map((e) => e.line),
  };
}

const changes = (edits: readonly Edit[]): number => edits.filter((e) => e.op !== 'equal').length;

/** A small seeded generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('diffLines', () => {
  it('finds the shortest script for the classic Myers example', () => {
    const before = ['A', 'B', 'C', 'A', 'B', 'B', 'A'];
    const after = ['C', 'B', 'A', 'B', 'A', 'C'];
    const edits = diffLines(before, after);
    expect(changes(edits)).toBe(5);
    expect(apply(edits)).toEqual({ before, after });
  });

  it('handles empty sides', () => {
    expect(diffLines([], ['a'])).toEqual([{ op: 'insert', line: 'a' }]);
    expect(diffLines(['a'], [])).toEqual([{ op: 'delete', line: 'a' }]);
    expect(diffLines([], [])).toEqual([]);
  });

  it('always reproduces both texts from its script, for random edits', () => {
    const next = random(42);
    for (let round = 0; round < 200; round++) {
      const before = Array.from({ length: Math.floor(next() * 40) }, () =>
        String.fromCharCode(97 + Math.floor(next() * 5)),
      );
      const after = before
        .filter(() => next() > 0.2)
        .map((l) => (next() > 0.9 ? l.toUpperCase() : l));
      if (next() > 0.5) after.splice(Math.floor(next() * after.length), 0, 'new');
      const edits = diffLines(before, after);
      expect(apply(edits)).toEqual({ before, after });
    }
  });

  it('diffs two 1000-line documents with scattered changes quickly and minimally', () => {
    const before = Array.from({ length: 1000 }, (_, i) => `  key${i}: value ${i}`);
    const after = before.map((l, i) => (i % 50 === 7 ? `${l} (edited)` : l));
    const started = performance.now();
    const edits = diffLines(before, after);
    const tookMs = performance.now() - started;
    expect(changes(edits)).toBe(40);
    expect(apply(edits)).toEqual({ before, after });
    expect(tookMs).toBeLessThan(500);
  });

  it('falls back to replacing the middle when two documents share nothing', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `old ${i}`);
    const after = Array.from({ length: 3000 }, (_, i) => `new ${i}`);
    const edits = diffLines(before, after);
    expect(changes(edits)).toBe(6000);
    expect(apply(edits)).toEqual({ before, after });
  });
});
