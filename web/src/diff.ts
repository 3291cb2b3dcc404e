/**
 * Lays out an object's diff for the two views. One table row per DiffLine in both, so the field
 * path, both values and the field manager always sit on the same row (the point of the view is to
 * say who changed a field). `+` is the desired side (Git), `-` the live side (the cluster).
 */
import type { DiffLine } from '../../src/ui/api.js';

export type DiffMode = 'unified' | 'side-by-side';

export interface DiffPart {
  sign: ' ' | '+' | '-';
  text: string;
}

export interface DiffRow {
  key: string;
  op: DiffLine['op'];
  path: string;
  /** Unified: the lines of the cell, `-` live first then `+` desired. */
  parts: DiffPart[];
  /** Side by side: undefined when that side has no value (added or removed field). */
  desired?: string;
  live?: string;
  manager: string;
  /** Words for the last column: "ignored", "masked"; never only a colour. */
  notes: string[];
}

const MASK = '(masked)';

function valueOf(line: DiffLine, side: 'desired' | 'live'): string | undefined {
  if (!line.masked) return line[side];
  // The server sends no value for a masked field; show that the side has one, never what it is.
  const present = side === 'desired' ? line.op !== 'removed' : line.op !== 'added';
  return present ? MASK : undefined;
}

function partsOf(line: DiffLine, desired?: string, live?: string): DiffPart[] {
  switch (line.op) {
    case 'same':
      return [{ sign: ' ', text: desired ?? live ?? '' }];
    case 'added':
      return [{ sign: '+', text: desired ?? '' }];
    case 'removed':
      return [{ sign: '-', text: live ?? '' }];
    case 'changed':
      return [
        { sign: '-', text: live ?? '' },
        { sign: '+', text: desired ?? '' },
      ];
  }
}

export function diffRows(lines: readonly DiffLine[]): DiffRow[] {
  return lines.map((line, i) => {
    const desired = valueOf(line, 'desired');
    const live = valueOf(line, 'live');
    const notes: string[] = [];
    if (line.ignored) notes.push('ignored');
    if (line.masked) notes.push('masked');
    const row: DiffRow = {
      key: `${i}:${line.path}`,
      op: line.op,
      path: line.path,
      parts: partsOf(line, desired, live),
      manager: line.manager ?? '',
      notes,
    };
    if (desired !== undefined) row.desired = desired;
    if (live !== undefined) row.live = live;
    return row;
  });
}

export interface DiffCounts {
  changed: number;
  added: number;
  removed: number;
  ignored: number;
}

/** Counts of what differs, ignored lines counted apart (they do not make an object OutOfSync). */
export function diffCounts(lines: readonly DiffLine[]): DiffCounts {
  const c: DiffCounts = { changed: 0, added: 0, removed: 0, ignored: 0 };
  for (const l of lines) {
    if (l.op === 'same') continue;
    if (l.ignored) c.ignored++;
    else c[l.op]++;
  }
  return c;
}

/** Words for the change column, so a row's kind is never signalled by colour alone. */
export function opWord(op: DiffLine['op']): string {
  return op === 'same' ? 'unchanged' : op;
}
