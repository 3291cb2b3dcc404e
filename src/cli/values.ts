import { UsageError } from './parse.js';

/**
 * Applies one `--helm-set a.b.c=value` to a values object, as `helm --set` does for the common
 * cases: dotted paths, and values parsed as JSON when they are JSON (numbers, booleans, lists).
 */
export function parseSetFlag(flag: string, into: Record<string, unknown>): Record<string, unknown> {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new UsageError(`--helm-set ${flag}: expected key=value`);
  const path = flag.slice(0, eq).split('.');
  if (path.some((p) => p === '')) throw new UsageError(`--helm-set ${flag}: empty key segment`);
  const raw = flag.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Not JSON: a plain string, as helm treats it.
  }
  const out = structuredClone(into);
  let node: Record<string, unknown> = out;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
  return out;
}
