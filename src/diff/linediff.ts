/** One line of an edit script: kept, removed from the old text, or added by the new one. */
export interface Edit {
  op: 'equal' | 'delete' | 'insert';
  line: string;
}

/**
 * Beyond this many differing lines the script falls back to "remove the middle, add the middle".
 * Myers keeps one frontier per edit step, so memory grows with the square of the distance; a
 * difference this large is a rewrite, and a minimal script of it would not be read anyway.
 */
const MAX_EDIT_DISTANCE = 2000;

/**
 * A shortest edit script from `a` to `b` (Myers' O((N+M)·D) algorithm). The common head and
 * tail are peeled off first, which is where two YAML renderings of one object mostly agree.
 */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const edits: Edit[] = a.slice(0, head).map((line) => ({ op: 'equal', line }));
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  edits.push(...diffMiddle(midA, midB));
  for (const line of a.slice(a.length - tail)) edits.push({ op: 'equal', line });
  return edits;
}

function diffMiddle(a: readonly string[], b: readonly string[]): Edit[] {
  const replaceAll = (): Edit[] => [
    ...a.map((line): Edit => ({ op: 'delete', line })),
    ...b.map((line): Edit => ({ op: 'insert', line })),
  ];
  if (a.length === 0 || b.length === 0) return replaceAll();
  const trace = forward(intern(a, b));
  return trace === undefined ? replaceAll() : backtrack(trace, a, b);
}

/** Lines as small integers, so the inner loop compares numbers, not strings. */
function intern(a: readonly string[], b: readonly string[]): { x: Int32Array; y: Int32Array } {
  const ids = new Map<string, number>();
  const id = (line: string): number => {
    let found = ids.get(line);
    if (found === undefined) {
      found = ids.size;
      ids.set(line, found);
    }
    return found;
  };
  return { x: Int32Array.from(a, id), y: Int32Array.from(b, id) };
}

/**
 * Runs Myers forward. `trace[d]` holds the furthest x reached on each diagonal k in [-d, d]
 * after d edits (index k + d). Returns undefined past MAX_EDIT_DISTANCE.
 */
function forward(seq: { x: Int32Array; y: Int32Array }): Int32Array[] | undefined {
  const n = seq.x.length;
  const m = seq.y.length;
  const maxD = Math.min(n + m, MAX_EDIT_DISTANCE);
  const trace: Int32Array[] = [];
  let prev = new Int32Array(1);
  for (let d = 0; d <= maxD; d++) {
    const v = new Int32Array(2 * d + 1);
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (d === 0) x = 0;
      else if (k === -d || (k !== d && at(prev, d - 1, k - 1) < at(prev, d - 1, k + 1))) {
        x = at(prev, d - 1, k + 1); // step down: an insertion
      } else {
        x = at(prev, d - 1, k - 1) + 1; // step right: a deletion
      }
      let y = x - k;
      while (x < n && y < m && seq.x[x] === seq.y[y]) {
        x++;
        y++;
      }
      v[k + d] = x;
      if (x >= n && y >= m) {
        trace.push(v);
        return trace;
      }
    }
    trace.push(v);
    prev = v;
  }
  return undefined;
}

function at(v: Int32Array, d: number, k: number): number {
  return v[k + d] ?? 0;
}

/** Walks the trace back from the end, emitting the snake and the one edit of each step. */
function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[]): Edit[] {
  const reversed: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d > 0; d--) {
    const prev = trace[d - 1] ?? new Int32Array(0);
    const k = x - y;
    const down = k === -d || (k !== d && at(prev, d - 1, k - 1) < at(prev, d - 1, k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prev, d - 1, prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      reversed.push({ op: 'equal', line: a[x] ?? '' });
    }
    if (down) {
      y--;
      reversed.push({ op: 'insert', line: b[y] ?? '' });
    } else {
      x--;
      reversed.push({ op: 'delete', line: a[x] ?? '' });
    }
  }
  // What is left before the first edit is one snake from the origin.
  while (x > 0) {
    x--;
    reversed.push({ op: 'equal', line: a[x] ?? '' });
  }
  return reversed.reverse();
}
