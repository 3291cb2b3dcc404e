import type { ObjectRef } from './object.js';
import { parsePointer, type PointerTokens } from './pointer.js';

// The typed form of an Application's spec.ignoreDifferences: declared here, with the
// Application, so that parseApplication can refuse a broken rule; diff/ignore.ts applies them.

/** Which objects a rule applies to. `*` matches any group or kind; absent name/namespace match all. */
export interface ResourceMatch {
  /** API group, `''` for the core group, `*` for any. */
  group: string;
  /** Kind, e.g. `Deployment`, or `*` for any. */
  kind: string;
  /** Only objects in this namespace. */
  namespace?: string;
  /** Only objects with this name. */
  name?: string;
}

/** A difference the user has declared uninteresting, hidden from both sides before comparing. */
export type IgnoreRule =
  | {
      type: 'jsonPointers';
      match: ResourceMatch;
      /** RFC 6901 pointers, e.g. `/spec/replicas` or `/metadata/annotations/a~1b`. */
      pointers: readonly string[];
    }
  | {
      type: 'managedFieldsManagers';
      match: ResourceMatch;
      /** Field managers (as in `metadata.managedFields[].manager`) whose fields are not ours to judge. */
      managers: readonly string[];
    };

export type IgnoreRulesResult =
  { kind: 'ok'; value: IgnoreRule[] } | { kind: 'invalid'; problem: string };

export function ruleMatches(rule: IgnoreRule, ref: ObjectRef): boolean {
  const m = rule.match;
  return (
    (m.group === '*' || m.group === ref.group) &&
    (m.kind === '*' || m.kind === ref.kind) &&
    (m.namespace === undefined || m.namespace === ref.namespace) &&
    (m.name === undefined || m.name === ref.name)
  );
}

/** A pointer a rule may hide, parsed; or what is wrong with it. */
export function ignorablePointer(text: string): PointerTokens | string {
  const parsed = parsePointer(text);
  if (parsed.kind === 'invalid') return parsed.problem;
  // Hiding the whole document would hide every difference: a broken rule, not a wish.
  if (parsed.tokens.length === 0) return 'the empty pointer would hide the whole object';
  return parsed.tokens;
}

/**
 * Parses ignore rules from untrusted input (an Application spec) into a result value.
 * Pointers are checked here so a broken rule is refused when the spec is read, not silently
 * skipped on every diff.
 */
export function parseIgnoreRules(input: unknown): IgnoreRulesResult {
  if (!Array.isArray(input))
    return { kind: 'invalid', problem: 'ignoreDifferences: expected a list' };
  const rules: IgnoreRule[] = [];
  for (const [i, raw] of input.entries()) {
    const rule = parseRule(raw);
    if (typeof rule === 'string') {
      return { kind: 'invalid', problem: `ignoreDifferences[${i}]: ${rule}` };
    }
    rules.push(rule);
  }
  return { kind: 'ok', value: rules };
}

function parseRule(raw: unknown): IgnoreRule | string {
  if (!isRecord(raw)) return 'expected an object';
  const match = parseMatch(raw);
  if (typeof match === 'string') return match;
  const pointers = raw['jsonPointers'];
  const managers = raw['managedFieldsManagers'];
  if ((pointers === undefined) === (managers === undefined)) {
    return 'set exactly one of jsonPointers and managedFieldsManagers';
  }
  if (pointers !== undefined) {
    if (!isStringList(pointers)) return 'jsonPointers: expected a list of strings';
    for (const p of pointers) {
      const tokens = ignorablePointer(p);
      if (typeof tokens === 'string') return `jsonPointers: ${tokens}`;
    }
    return { type: 'jsonPointers', match, pointers };
  }
  if (!isStringList(managers) || managers.some((m) => m === '')) {
    return 'managedFieldsManagers: expected a list of manager names';
  }
  return { type: 'managedFieldsManagers', match, managers };
}

function parseMatch(raw: Record<string, unknown>): ResourceMatch | string {
  const { group = '', kind, namespace, name } = raw;
  if (typeof group !== 'string') return 'group: expected a string';
  if (typeof kind !== 'string' || kind === '') return 'kind: expected a kind or "*"';
  const match: ResourceMatch = { group, kind };
  if (namespace !== undefined) {
    if (typeof namespace !== 'string') return 'namespace: expected a string';
    match.namespace = namespace;
  }
  if (name !== undefined) {
    if (typeof name !== 'string') return 'name: expected a string';
    match.name = name;
  }
  return match;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
