import { describe, expect, it } from 'vitest';
import { treeKey, type TreeRow } from './tree-keys.js';

// Deployment web → ReplicaSet → two Pods, then a Service: depth-first, as the server sends them.
const rows: TreeRow[] = [
  { key: 'D', depth: 0 },
  { key: 'RS', parent: 'D', depth: 1 },
  { key: 'P1', parent: 'RS', depth: 2 },
  { key: 'P2', parent: 'RS', depth: 2 },
  { key: 'S', depth: 0 },
];
const key = (k: string, active: number, row = (i: number) => rows[i]) =>
  treeKey(k, active, rows.length, 3, row);

describe('the resource tree keyboard', () => {
  it('moves down and up one row and stops at the ends', () => {
    expect(key('ArrowDown', 0)).toEqual({ kind: 'move', index: 1 });
    expect(key('ArrowUp', 1)).toEqual({ kind: 'move', index: 0 });
    expect(key('ArrowUp', 0)).toEqual({ kind: 'move', index: 0 });
    expect(key('ArrowDown', 4)).toEqual({ kind: 'move', index: 4 });
  });

  it('goes to the first and last rows with Home and End, and a page with PageDown', () => {
    expect(key('Home', 3)).toEqual({ kind: 'move', index: 0 });
    expect(key('End', 0)).toEqual({ kind: 'move', index: 4 });
    expect(key('PageDown', 0)).toEqual({ kind: 'move', index: 3 });
    expect(key('PageUp', 1)).toEqual({ kind: 'move', index: 0 });
  });

  it('goes from a Deployment to its ReplicaSet with Right, and not from a leaf', () => {
    expect(key('ArrowRight', 0)).toEqual({ kind: 'move', index: 1 });
    expect(key('ArrowRight', 3)).toEqual({ kind: 'ignore' });
  });

  it('goes from the second Pod to its ReplicaSet with Left, and not from a top object', () => {
    expect(key('ArrowLeft', 3)).toEqual({ kind: 'move', index: 1 });
    expect(key('ArrowLeft', 4)).toEqual({ kind: 'ignore' });
  });

  it('does not guess a parent across a page that has not arrived', () => {
    const holey = (i: number) => (i === 2 ? undefined : rows[i]);
    expect(key('ArrowLeft', 3, holey)).toEqual({ kind: 'ignore' });
  });

  it('opens the active row with Enter or Space, and leaves other keys to the browser', () => {
    expect(key('Enter', 2)).toEqual({ kind: 'open', index: 2 });
    expect(key(' ', 2)).toEqual({ kind: 'open', index: 2 });
    expect(key('Tab', 2)).toEqual({ kind: 'ignore' });
  });

  it('ignores every key in an empty tree', () => {
    expect(treeKey('ArrowDown', 0, 0, 3, () => undefined)).toEqual({ kind: 'ignore' });
  });
});
