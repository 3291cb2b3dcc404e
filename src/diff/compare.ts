import { formatRef, refKey, refOf, type KubeObject } from '../api/object.js';
import { DiffError } from './errors.js';
import type { IgnoreRule } from '../api/ignore-rules.js';
import { formatPointer } from '../api/pointer.js';
import { applyIgnoreRules } from './ignore.js';
import { isRecord, jsonEqual, type JsonRecord } from './json.js';
import { normalizeForDiff } from './normalize.js';

/**
 * The outcome of comparing one desired object with its live counterpart. The copies are
 * normalized (noise stripped, ignored fields hidden, Secret stringData folded) and are owned by
 * the caller, who may mask and render them.
 */
export type Comparison =
  | { kind: 'missing'; desired: JsonRecord }
  | { kind: 'terminating'; desired: JsonRecord }
  | { kind: 'compared'; desired: JsonRecord; live: JsonRecord; changedPaths: string[] }
  | { kind: 'failed'; error: DiffError };

// A terminating object will be gone once its finalizers finish, whatever its fields say now,
// so it is treated as something to create again rather than as in sync.
export function isTerminating(live: KubeObject): boolean {
  return live.metadata['deletionTimestamp'] != null;
}

/**
 * Compares the apiserver's dry-run result for an object (`desired`) with the object as it is
 * (`live`). Both come from the apiserver, so defaults, quantities and list order are already
 * normalized the same way on both sides and a structural comparison is exact.
 */
export function compareObjects(
  desired: KubeObject,
  live: KubeObject | undefined,
  rules: readonly IgnoreRule[],
): Comparison {
  const subject = refOf(desired);
  if (live !== undefined && refKey(refOf(live)) !== refKey(subject)) {
    const problem = `live object ${formatRef(refOf(live))} is not the desired object`;
    return { kind: 'failed', error: new DiffError(subject, problem) };
  }
  const desiredCopy = normalizeForDiff(desired);
  if (live === undefined) return { kind: 'missing', desired: desiredCopy };
  if (isTerminating(live)) return { kind: 'terminating', desired: desiredCopy };
  const liveCopy = normalizeForDiff(live);
  const problem = applyIgnoreRules(rules, subject, live, [desiredCopy, liveCopy]);
  if (problem !== undefined) return { kind: 'failed', error: new DiffError(subject, problem) };
  return {
    kind: 'compared',
    desired: desiredCopy,
    live: liveCopy,
    changedPaths: changedPaths(liveCopy, desiredCopy),
  };
}

/**
 * JSON pointers to every place two values differ, in key order. A subtree present on one side
 * only is reported once, at its root; lists are compared by position (the apiserver keeps
 * their order), so an appended item is reported as its index.
 */
export function changedPaths(before: unknown, after: unknown): string[] {
  const out: string[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(a: unknown, b: unknown, at: (string | number)[], out: string[]): void {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      if (Object.hasOwn(a, key) && Object.hasOwn(b, key)) walk(a[key], b[key], [...at, key], out);
      else out.push(formatPointer([...at, key]));
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const longest = Math.max(a.length, b.length);
    for (let i = 0; i < longest; i++) {
      if (i < a.length && i < b.length) walk(a[i], b[i], [...at, i], out);
      else out.push(formatPointer([...at, i]));
    }
    return;
  }
  if (!jsonEqual(a, b)) out.push(formatPointer(at));
}
