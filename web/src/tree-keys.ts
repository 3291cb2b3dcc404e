/**
 * The resource tree's keyboard, per the WAI-ARIA tree pattern, as a pure function of the key and
 * the rows: the tree is always expanded (its rows come from the server in depth-first order), so
 * Right goes to the first child and Left to the parent.
 */

export interface TreeRow {
  key: string;
  parent?: string;
  depth: number;
}

export type TreeKeyResult =
  | { kind: 'move'; index: number }
  | { kind: 'open'; index: number }
  /** Not a tree key here: let the browser have it. */
  | { kind: 'ignore' };

/**
 * What `key` does with `active` selected among `total` rows. `row(i)` is undefined for a row whose
 * page has not arrived; Left then stops rather than guess.
 */
export function treeKey(
  key: string,
  active: number,
  total: number,
  pageRows: number,
  row: (i: number) => TreeRow | undefined,
): TreeKeyResult {
  if (total <= 0) return { kind: 'ignore' };
  const clamp = (i: number) => Math.max(0, Math.min(total - 1, i));
  const move = (i: number): TreeKeyResult => ({ kind: 'move', index: clamp(i) });
  switch (key) {
    case 'ArrowDown':
      return move(active + 1);
    case 'ArrowUp':
      return move(active - 1);
    case 'Home':
      return move(0);
    case 'End':
      return move(total - 1);
    case 'PageDown':
      return move(active + pageRows);
    case 'PageUp':
      return move(active - pageRows);
    case 'ArrowRight': {
      const node = row(active);
      const next = row(active + 1);
      return node && next && next.depth > node.depth ? move(active + 1) : { kind: 'ignore' };
    }
    case 'ArrowLeft': {
      const parent = parentIndex(active, row);
      return parent === undefined ? { kind: 'ignore' } : move(parent);
    }
    case 'Enter':
    case ' ':
      return row(active) ? { kind: 'open', index: active } : { kind: 'ignore' };
    default:
      return { kind: 'ignore' };
  }
}

function parentIndex(i: number, row: (i: number) => TreeRow | undefined): number | undefined {
  const node = row(i);
  if (!node?.parent) return undefined;
  // The parent comes before its children in depth-first order, at a smaller depth.
  for (let j = i - 1; j >= 0; j--) {
    const n = row(j);
    if (!n) return undefined;
    if (n.key === node.parent) return j;
  }
  return undefined;
}
