import type { IgnoreRule } from '../api/ignore-rules.js';
import { isSecret, refOf, type KubeObject } from '../api/object.js';
import { compareObjects, FieldOwners, jsonEqual, maskSecretPair } from '../diff/index.js';
import type { DiffLine, ObjectDetail } from './api.js';

/**
 * The Diff tab: desired (the apiserver's dry run) against live, one line per leaf field, each
 * changed line naming the field manager that owns it live. Ignored fields are shown and marked;
 * a Secret's values are masked before any line exists. Pure.
 */

type Json = unknown;
const isRecord = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `.spec.replicas`, `.spec.containers[0].image`, `.metadata.annotations["a.b/c"]`. */
export function formatFieldPath(tokens: readonly (string | number)[]): string {
  return tokens
    .map((t) =>
      typeof t === 'number'
        ? `[${String(t)}]`
        : /^[A-Za-z_$][\w$-]*$/.test(t)
          ? `.${t}`
          : `[${JSON.stringify(t)}]`,
    )
    .join('');
}

const text = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v));

interface Leaf {
  tokens: (string | number)[];
  op: DiffLine['op'];
  desired?: Json;
  live?: Json;
}

function leaves(v: Json, at: (string | number)[], out: (string | number)[][]): void {
  if (isRecord(v) && Object.keys(v).length > 0) {
    for (const k of Object.keys(v).sort()) leaves(v[k], [...at, k], out);
  } else if (Array.isArray(v) && v.length > 0) {
    v.forEach((item, i) => {
      leaves(item, [...at, i], out);
    });
  } else out.push(at);
}

function valueAt(v: Json, tokens: readonly (string | number)[]): Json {
  let cur = v;
  for (const t of tokens)
    cur = isRecord(cur) || Array.isArray(cur) ? (cur as Record<string, Json>)[t] : undefined;
  return cur;
}

/** Both sides walked together: every leaf of either, in key order, with its op. */
function walk(d: Json, l: Json, at: (string | number)[], out: Leaf[]): void {
  const one = (side: Json, op: 'added' | 'removed'): void => {
    const paths: (string | number)[][] = [];
    leaves(side, at, paths);
    for (const p of paths) {
      const v = valueAt(side, p.slice(at.length));
      out.push(op === 'added' ? { tokens: p, op, desired: v } : { tokens: p, op, live: v });
    }
  };
  if (d === undefined || l === undefined) {
    one(d === undefined ? l : d, d === undefined ? 'removed' : 'added');
    return;
  }
  if (isRecord(d) && isRecord(l) && (Object.keys(d).length > 0 || Object.keys(l).length > 0)) {
    const keys = [...new Set([...Object.keys(d), ...Object.keys(l)])].sort();
    for (const k of keys) walk(d[k], l[k], [...at, k], out);
    return;
  }
  if (Array.isArray(d) && Array.isArray(l) && (d.length > 0 || l.length > 0)) {
    for (let i = 0; i < Math.max(d.length, l.length); i++) walk(d[i], l[i], [...at, i], out);
    return;
  }
  out.push({ tokens: at, op: jsonEqual(d, l) ? 'same' : 'changed', desired: d, live: l });
}

const keyOf = (tokens: readonly (string | number)[]): string => JSON.stringify(tokens.map(String));

/** The lines of one object's diff; `live` undefined means it is missing. */
export function diffLinesOf(
  desired: KubeObject,
  live: KubeObject | undefined,
  rules: readonly IgnoreRule[],
): ObjectDetail['diff'] {
  const all = compareObjects(desired, live, []);
  if (all.kind === 'failed') return { state: 'unknown', lines: [], message: all.error.problem };
  const secret = isSecret(refOf(desired));
  const liveCopy = all.kind === 'compared' ? all.live : undefined;
  if (secret) maskSecretPair(liveCopy, all.desired);
  const leavesOut: Leaf[] = [];
  walk(all.desired, liveCopy, [], leavesOut);
  // What the Application's ignoreDifferences hide: present without the rules, gone with them.
  const kept = new Set<string>();
  const withRules = compareObjects(desired, live, rules);
  if (withRules.kind === 'compared' || withRules.kind === 'missing') {
    const paths: (string | number)[][] = [];
    leaves(withRules.desired, [], paths);
    if (withRules.kind === 'compared') leaves(withRules.live, [], paths);
    for (const p of paths) kept.add(keyOf(p));
  }
  const owners = live === undefined ? undefined : new FieldOwners(live);
  const lines = leavesOut.map((leaf): DiffLine => {
    const masked = secret && (leaf.tokens[0] === 'data' || leaf.tokens[0] === 'stringData');
    const manager =
      leaf.op === 'same' || leaf.op === 'added'
        ? undefined
        : owners?.ownerOf(leaf.tokens.map(String));
    return {
      op: leaf.op,
      path: formatFieldPath(leaf.tokens),
      ...(masked || leaf.desired === undefined ? {} : { desired: text(leaf.desired) }),
      ...(masked || leaf.live === undefined ? {} : { live: text(leaf.live) }),
      ...(manager === undefined ? {} : { manager }),
      ignored: rules.length > 0 && !kept.has(keyOf(leaf.tokens)),
      masked,
    };
  });
  if (all.kind !== 'compared') return { state: 'missing', lines };
  const differs = lines.some((l) => l.op !== 'same' && !l.ignored);
  return { state: differs ? 'different' : 'same', lines };
}
