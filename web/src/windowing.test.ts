import { describe, expect, it } from 'vitest';
import { pagesFor, scrollToRow, visibleWindow } from './windowing.js';

describe('windowing a list of 5,000 rows', () => {
  const base = { rowHeight: 28, total: 5000, viewportHeight: 280, overscan: 5 };

  it('renders only the rows on screen plus the overscan at the top of the list', () => {
    const w = visibleWindow({ ...base, scrollTop: 0 });
    expect(w).toEqual({ start: 0, end: 16, padTop: 0, padBottom: (5000 - 16) * 28 });
  });

  it('keeps the spacers plus the rendered rows equal to the full height in the middle', () => {
    const w = visibleWindow({ ...base, scrollTop: 28 * 2500 + 10 });
    expect(w.start).toBe(2495);
    expect(w.end).toBe(2516);
    expect(w.padTop + (w.end - w.start) * 28 + w.padBottom).toBe(5000 * 28);
  });

  it('clamps a scroll past the end to the last screenful', () => {
    const w = visibleWindow({ ...base, scrollTop: 10_000_000 });
    expect(w.end).toBe(5000);
    expect(w.padBottom).toBe(0);
    expect(w.start).toBe(5000 - 10 - 5);
  });

  it('renders nothing for an empty list', () => {
    expect(visibleWindow({ ...base, total: 0, scrollTop: 0 })).toEqual({
      start: 0,
      end: 0,
      padTop: 0,
      padBottom: 0,
    });
  });

  it('renders every row of a list shorter than the viewport', () => {
    const w = visibleWindow({ ...base, total: 3, scrollTop: 0 });
    expect(w).toMatchObject({ start: 0, end: 3, padTop: 0, padBottom: 0 });
  });
});

describe('pages a window needs from the server', () => {
  it('asks for the one page holding a window inside it', () => {
    expect(pagesFor(10, 40, 200)).toEqual([0]);
  });
  it('asks for both pages when a window straddles a page boundary', () => {
    expect(pagesFor(190, 215, 200)).toEqual([0, 1]);
  });
  it('does not ask for the next page when the window ends exactly at a boundary', () => {
    expect(pagesFor(180, 200, 200)).toEqual([0]);
  });
  it('asks for nothing for an empty window', () => {
    expect(pagesFor(5, 5, 200)).toEqual([]);
  });
});

describe('keeping the keyboard-active row in view', () => {
  it('scrolls up to a row above the viewport', () => {
    expect(scrollToRow(3, 280, 280, 28)).toBe(84);
  });
  it('scrolls down just enough for a row below the viewport', () => {
    expect(scrollToRow(20, 0, 280, 28)).toBe(21 * 28 - 280);
  });
  it('leaves the scroll alone for a row already in view', () => {
    expect(scrollToRow(5, 0, 280, 28)).toBeUndefined();
  });
});
