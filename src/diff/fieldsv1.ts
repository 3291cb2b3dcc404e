import type { KubeObject } from '../api/object.js';
import { isEmptyContainer, isRecord, jsonEqual, type JsonRecord } from './json.js';

/**
 * A parsed `managedFields[].fieldsV1` tree (the structured-merge-diff set format):
 * `f:name` a field, `k:{json}` a list item by its key fields, `v:json` a set item by value,
 * `i:n` a list item by index, and `.` "the node itself" next to its children.
 */
export interface FieldNode {
  /** Children by field name (`f:`). */
  readonly fields: Map<string, FieldNode>;
  /** List items named by their key fields (`k:`), e.g. `{"name":"app"}` or `{"containerPort":80,"protocol":"TCP"}`. */
  readonly keyed: { key: JsonRecord; node: FieldNode }[];
  /** Set items named by value (`v:`), e.g. a finalizer string. */
  readonly values: { value: unknown; node: FieldNode }[];
  /** List items named by position (`i:`). */
  readonly indexed: { index: number; node: FieldNode }[];
}

export type FieldsResult = { kind: 'ok'; node: FieldNode } | { kind: 'invalid'; problem: string };

function emptyNode(): FieldNode {
  return { fields: new Map(), keyed: [], values: [], indexed: [] };
}

/** A leaf (`{}` or only `{".": {}}`) means the manager owns the whole value at that path. */
function isLeaf(node: FieldNode): boolean {
  return (
    node.fields.size === 0 &&
    node.keyed.length === 0 &&
    node.values.length === 0 &&
    node.indexed.length === 0
  );
}

/**
 * The union of the fields that the named managers own in a live object, read from its
 * `metadata.managedFields`. Entries of every operation and subresource count: the apiserver
 * records a `scale` subresource write (an autoscaler) as `f:spec.f:replicas` of the parent, and
 * `status` subresource fields are stripped before comparing anyway.
 */
export function fieldsOwnedBy(live: KubeObject, managers: readonly string[]): FieldsResult {
  const entries = live.metadata['managedFields'];
  const merged = emptyNode();
  if (entries === undefined) return { kind: 'ok', node: merged };
  if (!Array.isArray(entries)) return { kind: 'invalid', problem: 'managedFields is not a list' };
  for (const [i, entry] of entries.entries()) {
    if (!isRecord(entry))
      return { kind: 'invalid', problem: `managedFields[${i}] is not an object` };
    if (typeof entry['manager'] !== 'string' || !managers.includes(entry['manager'])) continue;
    if (entry['fieldsV1'] === undefined) continue;
    const parsed = parseInto(merged, entry['fieldsV1'], `managedFields[${i}].fieldsV1`);
    if (parsed !== undefined) return { kind: 'invalid', problem: parsed };
  }
  return { kind: 'ok', node: merged };
}

/** Parses a fieldsV1 tree into `into`, merging with what is there. Returns a problem or undefined. */
function parseInto(into: FieldNode, raw: unknown, at: string): string | undefined {
  if (!isRecord(raw)) return `${at} is not an object`;
  for (const [key, value] of Object.entries(raw)) {
    if (key === '.') continue;
    const child = childFor(into, key);
    if (typeof child === 'string') return `${at}: ${child}`;
    const problem = parseInto(child, value, `${at}.${key}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function childFor(node: FieldNode, key: string): FieldNode | string {
  const prefix = key.slice(0, 2);
  const rest = key.slice(2);
  if (prefix === 'f:') return getOrAdd(node.fields, rest);
  if (prefix === 'i:') {
    if (!/^(0|[1-9][0-9]*)$/.test(rest)) return `bad list index in "${key}"`;
    const index = Number(rest);
    return findOrAdd(node.indexed, (e) => e.index === index, { index });
  }
  const parsed = parseJson(rest);
  if (prefix === 'k:') {
    if (!isRecord(parsed)) return `bad key fields in "${key}"`;
    return findOrAdd(node.keyed, (e) => jsonEqual(e.key, parsed), { key: parsed });
  }
  if (prefix === 'v:') {
    if (parsed === undefined) return `bad set value in "${key}"`;
    return findOrAdd(node.values, (e) => jsonEqual(e.value, parsed), { value: parsed });
  }
  return `unknown path element "${key}"`;
}

function getOrAdd(map: Map<string, FieldNode>, name: string): FieldNode {
  const found = map.get(name);
  if (found !== undefined) return found;
  const created = emptyNode();
  map.set(name, created);
  return created;
}

function findOrAdd<T extends { node: FieldNode }>(
  list: T[],
  matches: (entry: T) => boolean,
  entry: Omit<T, 'node'>,
): FieldNode {
  const found = list.find(matches);
  if (found !== undefined) return found.node;
  const node = emptyNode();
  list.push({ ...entry, node } as T);
  return node;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Removes, in place, every value the field set owns as a whole (its leaves), and descends into
 * the rest. A `.` next to children is deliberately NOT taken as "remove the whole container":
 * the apiserver records `.` for whoever created a map or list item, so honouring it would hide
 * every annotation once a controller that added one is ignored. Containers emptied by the
 * removal are dropped, so both sides keep the same shape.
 */
export function removeOwned(value: unknown, node: FieldNode): void {
  if (isRecord(value)) {
    for (const [name, child] of node.fields) {
      if (!Object.hasOwn(value, name)) continue;
      if (isLeaf(child)) {
        delete value[name];
        continue;
      }
      const wasEmpty = isEmptyContainer(value[name]);
      removeOwned(value[name], child);
      if (!wasEmpty && isEmptyContainer(value[name])) delete value[name];
    }
    return;
  }
  if (Array.isArray(value)) removeOwnedItems(value, node);
}

function removeOwnedItems(list: unknown[], node: FieldNode): void {
  const drop = new Set<number>();
  const visit = (index: number, child: FieldNode): void => {
    if (index < 0 || index >= list.length) return;
    if (isLeaf(child)) {
      drop.add(index);
      return;
    }
    const wasEmpty = isEmptyContainer(list[index]);
    removeOwned(list[index], child);
    if (!wasEmpty && isEmptyContainer(list[index])) drop.add(index);
  };
  for (const { key, node: child } of node.keyed) {
    visit(
      list.findIndex((item) => isRecord(item) && keyedAs(item, key, {}) !== undefined),
      child,
    );
  }
  for (const { value, node: child } of node.values) {
    visit(
      list.findIndex((item) => jsonEqual(item, value)),
      child,
    );
  }
  for (const { index, node: child } of node.indexed) visit(index, child);
  // Indices were resolved against the untouched list; splice from the end so they stay valid.
  for (const index of [...drop].sort((a, b) => b - a)) list.splice(index, 1);
}

/**
 * The item as the key names it: its key fields all equal the key's, a field it omits counting
 * when `defaults` gives the key's value for it (and then filled in, as the apiserver would).
 * Undefined when the item is another one.
 */
function keyedAs(item: JsonRecord, key: JsonRecord, defaults: KeyDefaults): JsonRecord | undefined {
  let filled = item;
  for (const [k, v] of Object.entries(key)) {
    if (Object.hasOwn(item, k)) {
      if (!jsonEqual(item[k], v)) return undefined;
    } else if (Object.hasOwn(defaults, k) && jsonEqual(defaults[k], v)) {
      filled = { ...filled, [k]: v };
    } else return undefined;
  }
  return filled;
}

/** List-key fields the apiserver fills in when an item omits them, with the value it uses. */
export type KeyDefaults = Readonly<Record<string, unknown>>;

/**
 * Does `value` still have every path the field set names: each field, each keyed item (all its
 * key fields given, with the same values, or omitted where `defaults` says the apiserver fills
 * in that value), each set value and each index? A path it lacks is one a server-side apply of
 * `value` would remove from its owner.
 */
export function hasEveryPath(value: unknown, node: FieldNode, defaults: KeyDefaults = {}): boolean {
  for (const [name, child] of node.fields) {
    if (!isRecord(value) || !Object.hasOwn(value, name)) return false;
    if (!hasEveryPath(value[name], child, defaults)) return false;
  }
  if (node.keyed.length + node.values.length + node.indexed.length === 0) return true;
  if (!Array.isArray(value)) return false;
  const list: unknown[] = value;
  return (
    node.keyed.every(({ key, node: child }) => {
      for (const i of list) {
        const item = isRecord(i) ? keyedAs(i, key, defaults) : undefined;
        if (item !== undefined) return hasEveryPath(item, child, defaults);
      }
      return false;
    }) &&
    node.values.every(({ value: v }) => list.some((i) => jsonEqual(i, v))) &&
    node.indexed.every(
      ({ index, node: child }) => index < list.length && hasEveryPath(list[index], child, defaults),
    )
  );
}
