import { isEmptyContainer, isRecord } from './json.js';

/** A parsed JSON pointer (RFC 6901): its reference tokens, unescaped. `[]` is the whole document. */
export type PointerTokens = readonly string[];

export type PointerResult =
  { kind: 'ok'; tokens: PointerTokens } | { kind: 'invalid'; problem: string };

/** Parses `"/spec/template/metadata/annotations/a~1b"` into tokens; `""` is the whole document. */
export function parsePointer(text: string): PointerResult {
  if (text === '') return { kind: 'ok', tokens: [] };
  if (!text.startsWith('/')) {
    return { kind: 'invalid', problem: `JSON pointer "${text}" must start with "/"` };
  }
  const tokens: string[] = [];
  for (const raw of text.slice(1).split('/')) {
    // RFC 6901: "~" may only be followed by 0 or 1.
    if (/~(?![01])/.test(raw)) {
      return {
        kind: 'invalid',
        problem: `JSON pointer "${text}" has a "~" not followed by 0 or 1`,
      };
    }
    tokens.push(raw.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  return { kind: 'ok', tokens };
}

/** Formats tokens as a JSON pointer, escaping `~` and `/` (so `a/b` annotation keys stay one token). */
export function formatPointer(tokens: readonly (string | number)[]): string {
  return tokens.map((t) => '/' + String(t).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/**
 * Removes the value a pointer names, in place. Containers that become empty because of the
 * removal are removed too, so both sides of a comparison end in the same shape: hiding the only
 * annotation of a live object must not leave `annotations: {}` where the other side has none.
 * The root itself is never removed. Returns whether something was removed.
 */
export function removeAt(root: unknown, tokens: PointerTokens): boolean {
  const [head, ...rest] = tokens;
  if (head === undefined) return false;
  if (isRecord(root)) {
    if (!Object.hasOwn(root, head)) return false;
    if (rest.length > 0 && !removeAt(root[head], rest)) return false;
    if (rest.length === 0 || isEmptyContainer(root[head])) delete root[head];
    return true;
  }
  if (Array.isArray(root)) {
    const index = arrayIndex(head, root.length);
    if (index === undefined) return false;
    if (rest.length > 0 && !removeAt(root[index], rest)) return false;
    if (rest.length === 0 || isEmptyContainer(root[index])) root.splice(index, 1);
    return true;
  }
  return false;
}

function arrayIndex(token: string, length: number): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const index = Number(token);
  return index < length ? index : undefined;
}
