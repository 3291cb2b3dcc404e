import { SopsFormatError } from './errors.js';
import type { SopsNode } from './tree.js';

/**
 * Dotenv files as sops reads and writes them: `KEY=value` lines where `\n` in a value stands
 * for a newline, `#` lines as comments, and the metadata flattened into `sops_…` keys.
 */

export type DotenvLine =
  { kind: 'entry'; key: string; value: string } | { kind: 'comment'; text: string };

export function parseDotenv(file: string, text: string): DotenvLine[] | SopsFormatError {
  const lines: DotenvLine[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      lines.push({ kind: 'comment', text: line.slice(1) });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) return new SopsFormatError(file, `line ${i + 1} is not KEY=value`);
    lines.push({
      kind: 'entry',
      key: line.slice(0, eq),
      value: line
        .slice(eq + 1)
        .split('\\n')
        .join('\n'),
    });
  }
  return lines;
}

export function writeDotenv(lines: readonly DotenvLine[]): string {
  return lines
    .map((l) =>
      l.kind === 'comment' ? `#${l.text}\n` : `${l.key}=${l.value.split('\n').join('\\n')}\n`,
    )
    .join('');
}

/** The entries as a one-document tree of strings, in file order (what the MAC is computed over). */
export function dotenvTree(lines: readonly DotenvLine[]): SopsNode {
  return {
    kind: 'map',
    entries: lines.flatMap((l): [string, SopsNode][] =>
      l.kind === 'entry'
        ? [[l.key, { kind: 'scalar', value: { type: 'str', value: l.value } }]]
        : [],
    ),
  };
}

const prefix = 'sops_';

/** Splits the `sops_…` lines off and rebuilds the metadata object they flatten. */
export function extractDotenvMetadata(lines: DotenvLine[]): {
  rest: DotenvLine[];
  metadata: unknown;
} {
  const rest: DotenvLine[] = [];
  const flat: [string, string][] = [];
  for (const l of lines) {
    if (l.kind === 'entry' && l.key.startsWith(prefix))
      flat.push([l.key.slice(prefix.length), l.value]);
    else rest.push(l);
  }
  return { rest, metadata: flat.length === 0 ? undefined : unflatten(flat) };
}

type Container = Record<string, unknown> | unknown[];

/** Rebuilds `a__list_0__map_b` keys (all values stay text) into nested lists and maps. */
function unflatten(flat: readonly [string, string][]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of flat) {
    const tokens = key.split(/(?=__list_\d+|__map_)/);
    let node: Container = root;
    const steps = tokens.map((t) => {
      const list = /^__list_(\d+)$/.exec(t);
      if (list !== null) return Number(list[1]);
      return t.startsWith('__map_') ? t.slice('__map_'.length) : t;
    });
    for (const [i, step] of steps.entries()) {
      const last = i === steps.length - 1;
      const next = steps[i + 1];
      const existing = (node as Record<string | number, unknown>)[step];
      if (last) {
        (node as Record<string | number, unknown>)[step] = value;
      } else if (typeof existing === 'object' && existing !== null) {
        node = existing as Container;
      } else {
        const child: Container = typeof next === 'number' ? [] : {};
        (node as Record<string | number, unknown>)[step] = child;
        node = child;
      }
    }
  }
  return root;
}

/** Flattens metadata into `sops_…` lines, as sops writes them. */
export function flattenMetadata(metadata: Record<string, unknown>): DotenvLine[] {
  const out: DotenvLine[] = [];
  const walk = (value: unknown, key: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, `${key}__list_${i}`);
      });
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, key === '' ? k : `${key}__map_${k}`);
    } else {
      out.push({ kind: 'entry', key: `${prefix}${key}`, value: String(value) });
    }
  };
  walk(metadata, '');
  return out;
}
