/** JSON pointers (RFC 6901): the syntax `ignoreDifferences` rules and diff paths are written in. */

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
