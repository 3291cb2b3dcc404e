/**
 * Windowing for long lists: which rows are on screen, which server pages they need. Pure, so the
 * scale promise (5,000 objects interactive in under a second) rests on arithmetic we can test.
 */

export interface Window {
  /** First row to render (inclusive). */
  start: number;
  /** Last row to render (exclusive). */
  end: number;
  /** Height of the empty space standing in for the rows above `start`. */
  padTop: number;
  /** Height of the empty space standing in for the rows after `end`. */
  padBottom: number;
}

export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  total: number;
  /** Rows rendered beyond each edge, so a quick scroll does not flash blank rows. */
  overscan: number;
}

export function visibleWindow(input: WindowInput): Window {
  const { rowHeight, total, overscan } = input;
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const maxTop = Math.max(0, total * rowHeight - input.viewportHeight);
  const top = Math.min(Math.max(0, input.scrollTop), maxTop);
  const first = Math.floor(top / rowHeight);
  const shown = Math.ceil(Math.max(0, input.viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + shown + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (total - end) * rowHeight };
}

/** The page indices (of `pageSize` rows each) that hold rows [start, end). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start || pageSize <= 0) return [];
  const pages: number[] = [];
  for (let p = Math.floor(start / pageSize); p * pageSize < end; p++) pages.push(p);
  return pages;
}

/**
 * The scrollTop that brings row `index` fully into view, or undefined when it already is.
 * Used when the keyboard moves the active row past an edge of the viewport.
 */
export function scrollToRow(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number | undefined {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return undefined;
}
