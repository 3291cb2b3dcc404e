import { ignorablePointer, ruleMatches, type IgnoreRule } from '../api/ignore-rules.js';
import type { KubeObject, ObjectRef } from '../api/object.js';
import { fieldsOwnedBy, removeOwned } from './fieldsv1.js';
import type { JsonRecord } from './json.js';
import { removeAt } from './pointer.js';

/**
 * Removes what the matching rules hide from both copies, in place. Manager rules read the
 * ownership from the raw live object (the copies have had managedFields stripped already);
 * with no live object there is no ownership, so they hide nothing. Returns a problem, if any.
 */
export function applyIgnoreRules(
  rules: readonly IgnoreRule[],
  ref: ObjectRef,
  live: KubeObject | undefined,
  copies: readonly JsonRecord[],
): string | undefined {
  for (const rule of rules) {
    if (!ruleMatches(rule, ref)) continue;
    if (rule.type === 'jsonPointers') {
      for (const pointer of rule.pointers) {
        const tokens = ignorablePointer(pointer);
        if (typeof tokens === 'string') return `ignore rule: ${tokens}`;
        for (const copy of copies) removeAt(copy, tokens);
      }
    } else if (live !== undefined) {
      const owned = fieldsOwnedBy(live, rule.managers);
      if (owned.kind === 'invalid') return `cannot read live managedFields: ${owned.problem}`;
      for (const copy of copies) removeOwned(copy, owned.node);
    }
  }
  return undefined;
}
