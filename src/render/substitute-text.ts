/**
 * `${name}` substitution in one string, after Flux's postBuild.substitute: `${name}` is the
 * variable's value, `${name:=default}` the default when it is unset, and `$${` a literal `${`.
 * `$name` without braces is left alone, so shell snippets in ConfigMaps mostly need no escaping.
 *
 * One pass, left to right, never looking back: the work is linear in the text whatever it holds
 * (no regular expression, so no backtracking), and values put in are not scanned again, so a
 * variable whose value holds `${other}` cannot expand further.
 */

const DOLLAR = 0x24;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const COLON = 0x3a;
const EQUALS = 0x3d;

const isNameStart = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isNameChar = (c: number): boolean => isNameStart(c) || (c >= 0x30 && c <= 0x39);

/** A reference that is not `${name}` or `${name:=default}`, shown up to this many characters. */
const snippetChars = 40;

/** One thing wrong in a string, before it is told where the string is. */
export type TextProblem =
  | { kind: 'unset'; variable: string }
  | { kind: 'malformed'; reference: string }
  | { kind: 'too-large'; limit: number };

/** Work and limits shared by every string of one object, so the bound holds per object. */
export interface TextBudget {
  /** Characters variables (and defaults) may still add to the object. */
  remaining: number;
  /** The limit `remaining` started from, for the message. */
  limit: number;
  /** Characters examined so far: the count tests use to show the work is linear. */
  steps: number;
}

export type TextResult = { kind: 'ok'; text: string } | { kind: 'error'; problems: TextProblem[] };

type Reference =
  | { kind: 'reference'; name: string; fallback: string | undefined; end: number }
  | { kind: 'malformed'; end: number };

/** Reads the reference starting at `at` (`${`…); `end` is where scanning resumes. */
function readReference(text: string, at: number, budget: TextBudget): Reference {
  let k = at + 2;
  if (!isNameStart(text.charCodeAt(k))) return { kind: 'malformed', end: k };
  k += 1;
  while (k < text.length && isNameChar(text.charCodeAt(k))) k += 1;
  budget.steps += k - at;
  const name = text.slice(at + 2, k);
  if (text.charCodeAt(k) === CLOSE)
    return { kind: 'reference', name, fallback: undefined, end: k + 1 };
  if (text.charCodeAt(k) !== COLON || text.charCodeAt(k + 1) !== EQUALS)
    return { kind: 'malformed', end: k };
  const close = text.indexOf('}', k + 2);
  budget.steps += (close < 0 ? text.length : close) - k;
  if (close < 0) return { kind: 'malformed', end: text.length };
  const fallback = text.slice(k + 2, close);
  // A default is literal text: nested references are not supported, so say so rather than guess.
  budget.steps += fallback.length;
  if (fallback.includes('${')) return { kind: 'malformed', end: close + 1 };
  return { kind: 'reference', name, fallback, end: close + 1 };
}

function snippet(text: string, from: number, to: number): string {
  const end = Math.min(Math.max(to, from + 2), text.length);
  return end - from > snippetChars
    ? `${text.slice(from, from + snippetChars)}…`
    : text.slice(from, end);
}

/**
 * Substitutes the references in `text`. Every unset variable and malformed reference is
 * reported, up to `maxProblems`; values add at most `budget.remaining` characters.
 */
export function substituteText(
  text: string,
  variables: ReadonlyMap<string, string>,
  budget: TextBudget,
  maxProblems: number,
): TextResult {
  let at = text.indexOf('$');
  budget.steps += at < 0 ? text.length : at;
  if (at < 0) return { kind: 'ok', text };
  const parts: string[] = [];
  const problems: TextProblem[] = [];
  let copied = 0;
  let inserted = 0;
  while (at >= 0 && problems.length < maxProblems) {
    budget.steps += 1;
    let resume = at + 1;
    const next = text.charCodeAt(at + 1);
    if (next === DOLLAR && text.charCodeAt(at + 2) === OPEN) {
      // `$${` → `${`: drop the first dollar, keep the rest as text.
      parts.push(text.slice(copied, at));
      copied = at + 1;
      resume = at + 3;
    } else if (next === OPEN) {
      const ref = readReference(text, at, budget);
      resume = ref.end;
      if (ref.kind === 'malformed') {
        problems.push({ kind: 'malformed', reference: snippet(text, at, ref.end) });
      } else {
        const value = variables.get(ref.name) ?? ref.fallback;
        if (value === undefined) problems.push({ kind: 'unset', variable: ref.name });
        else {
          inserted += value.length;
          if (inserted > budget.remaining) break;
          parts.push(text.slice(copied, at), value);
        }
        copied = ref.end;
      }
    }
    at = text.indexOf('$', resume);
    budget.steps += (at < 0 ? text.length : at) - resume;
  }
  if (problems.length === 0 && inserted <= budget.remaining) {
    budget.remaining -= inserted;
    parts.push(text.slice(copied));
    return { kind: 'ok', text: parts.join('') };
  }
  if (problems.length === 0) problems.push({ kind: 'too-large', limit: budget.limit });
  return { kind: 'error', problems };
}
