import type { PointerTokens } from '../api/pointer.js';
import { isEmptyContainer, isRecord } from './json.js';

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
