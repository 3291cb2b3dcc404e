import type { KubeObject } from '../api/object.js';
import { fieldsOwnedBy, type FieldNode } from './fieldsv1.js';
import { isRecord, jsonEqual } from './json.js';

/**
 * Which field manager owns a field of a live object, from its managedFields: how a reader of a
 * diff sees that `kubectl`, an autoscaler or Ballast set a value. Pure.
 */

function isLeaf(node: FieldNode): boolean {
  return (
    node.fields.size === 0 &&
    node.keyed.length === 0 &&
    node.values.length === 0 &&
    node.indexed.length === 0
  );
}

/** The list item a token names in `node`, matched against the live item as the apiserver keys it. */
function itemNode(node: FieldNode, list: readonly unknown[], index: number): FieldNode | undefined {
  const item = list[index];
  if (isRecord(item)) {
    const keyed = node.keyed.find((k) =>
      Object.entries(k.key).every(([f, v]) => jsonEqual(item[f], v)),
    );
    if (keyed !== undefined) return keyed.node;
  } else if (item !== undefined) {
    const value = node.values.find((v) => jsonEqual(v.value, item));
    if (value !== undefined) return value.node;
  }
  return node.indexed.find((i) => i.index === index)?.node;
}

/** Whether the field set `node` owns the value at `tokens` below `value`. */
export function ownsPath(node: FieldNode, value: unknown, tokens: readonly string[]): boolean {
  const [token, ...rest] = tokens;
  if (token === undefined) return true;
  let child: FieldNode | undefined;
  let next: unknown;
  if (Array.isArray(value)) {
    if (!/^\d+$/.test(token)) return false;
    child = itemNode(node, value, Number(token));
    next = value[Number(token)];
  } else {
    child = node.fields.get(token);
    next = isRecord(value) ? value[token] : undefined;
  }
  if (child === undefined) return false;
  // A leaf owns the whole value below it: a map or list set as one.
  if (isLeaf(child)) return true;
  return ownsPath(child, next, rest);
}

interface Entry {
  manager: string;
  time: string;
}

function managersOf(live: KubeObject): Entry[] {
  const entries = live.metadata['managedFields'];
  if (!Array.isArray(entries)) return [];
  const newest = new Map<string, string>();
  for (const e of entries) {
    if (!isRecord(e) || typeof e['manager'] !== 'string') continue;
    const time = typeof e['time'] === 'string' ? e['time'] : '';
    const had = newest.get(e['manager']);
    if (had === undefined || had < time) newest.set(e['manager'], time);
  }
  return [...newest].map(([manager, time]) => ({ manager, time }));
}

/**
 * Owners of fields of `live`, looked up by path (JSON pointer tokens). When several managers
 * own a field (server-side apply shares ownership of equal values), the one that wrote last is
 * named. Each manager's field set is parsed once.
 */
export class FieldOwners {
  private readonly sets: { manager: string; time: string; node: FieldNode }[];

  constructor(private readonly live: KubeObject) {
    this.sets = managersOf(live).flatMap((m) => {
      const owned = fieldsOwnedBy(live, [m.manager]);
      return owned.kind === 'ok' ? [{ ...m, node: owned.node }] : [];
    });
  }

  /** The manager owning the field at `tokens`, or undefined when none does (or it is not live). */
  ownerOf(tokens: readonly string[]): string | undefined {
    let best: { manager: string; time: string } | undefined;
    for (const s of this.sets)
      if (ownsPath(s.node, this.live, tokens) && (best === undefined || s.time > best.time))
        best = s;
    return best?.manager;
  }
}
