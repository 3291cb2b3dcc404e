import { stringify } from 'yaml';
import { isRecord, type JsonRecord } from './json.js';
import { diffLines, type Edit } from './linediff.js';

/** How the diff text looks. */
export interface RenderOptions {
  /** `ansi` colours removed lines red, added lines green and hunk headers cyan, for a terminal. */
  color: 'none' | 'ansi';
  /** Unchanged lines shown around each change. */
  contextLines: number;
}

/**
 * YAML lines of an object (none for an absent side). Keys are sorted so that two renderings of
 * one object line up whatever order the serializer used, except that `apiVersion`, `kind` and
 * `metadata` lead, as in every manifest a reader has seen.
 */
export function yamlLines(obj: JsonRecord | undefined): string[] {
  if (obj === undefined) return [];
  const text = stringify(sortedKeys(obj, ['apiVersion', 'kind', 'metadata']), {
    lineWidth: 0, // never fold: a change early in a long string would reflow every line after it
    aliasDuplicateObjects: false,
  });
  return text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
}

function sortedKeys(value: unknown, leading: readonly string[] = []): unknown {
  if (Array.isArray(value)) return value.map((item) => sortedKeys(item));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value).sort((a, b) => {
    const ia = leading.indexOf(a);
    const ib = leading.indexOf(b);
    if (ia !== -1 || ib !== -1)
      return (ia === -1 ? leading.length : ia) - (ib === -1 ? leading.length : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  // A Map keeps string keys in insertion order even when they look like integers ("80"),
  // which a plain object would hoist to the front.
  return new Map(keys.map((k) => [k, sortedKeys(value[k])]));
}

const ANSI = {
  bold: '\x1b[1m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  reset: '\x1b[0m',
};

/**
 * A unified diff (`---`/`+++` headers, `@@` hunks) between two texts given as lines. Returns the
 * empty string when they are equal.
 */
export function unifiedDiff(
  before: readonly string[],
  after: readonly string[],
  labels: { before: string; after: string },
  options: RenderOptions,
): string {
  const edits = diffLines(before, after);
  const groups = hunkRanges(edits, Math.max(0, options.contextLines));
  if (groups.length === 0) return '';
  const paint = (code: string, line: string): string =>
    options.color === 'ansi' ? `${code}${line}${ANSI.reset}` : line;
  const out = [paint(ANSI.bold, `--- ${labels.before}`), paint(ANSI.bold, `+++ ${labels.after}`)];
  const { oldAt, newAt } = positions(edits);
  for (const [start, end] of groups) {
    const oldCount = count(edits, start, end, 'insert');
    const newCount = count(edits, start, end, 'delete');
    const header = `@@ -${range(oldAt[start] ?? 0, oldCount)} +${range(newAt[start] ?? 0, newCount)} @@`;
    out.push(paint(ANSI.cyan, header));
    for (const edit of edits.slice(start, end)) out.push(editLine(edit, paint));
  }
  return out.join('\n') + '\n';
}

function editLine(edit: Edit, paint: (code: string, line: string) => string): string {
  if (edit.op === 'delete') return paint(ANSI.red, `-${edit.line}`);
  if (edit.op === 'insert') return paint(ANSI.green, `+${edit.line}`);
  return ` ${edit.line}`;
}

/** Lines a hunk covers on one side: all its edits except those of the other side. */
function count(edits: readonly Edit[], start: number, end: number, excluded: Edit['op']): number {
  let n = 0;
  for (let i = start; i < end; i++) if (edits[i]?.op !== excluded) n++;
  return n;
}

/** `start,count` as diff(1) writes it: 1-based, `,1` omitted, an empty range names the line before. */
function range(zeroBasedStart: number, lines: number): string {
  if (lines === 0) return `${zeroBasedStart},0`;
  return lines === 1 ? `${zeroBasedStart + 1}` : `${zeroBasedStart + 1},${lines}`;
}

/** For each edit, how many old and new lines precede it. */
function positions(edits: readonly Edit[]): { oldAt: number[]; newAt: number[] } {
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 0;
  let n = 0;
  for (const edit of edits) {
    oldAt.push(o);
    newAt.push(n);
    if (edit.op !== 'insert') o++;
    if (edit.op !== 'delete') n++;
  }
  return { oldAt, newAt };
}

/** [start, end) ranges of edits to print: each change with its context, close ones merged. */
function hunkRanges(edits: readonly Edit[], context: number): [number, number][] {
  const ranges: [number, number][] = [];
  for (let i = 0; i < edits.length; i++) {
    if (edits[i]?.op === 'equal') continue;
    const start = Math.max(0, i - context);
    const end = Math.min(edits.length, i + context + 1);
    const last = ranges.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = end;
    else ranges.push([start, end]);
  }
  return ranges;
}
