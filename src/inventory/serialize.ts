import type { Result } from '../api/errors.js';
import type { ObjectRef } from '../api/object.js';
import { InventoryParseError } from './errors.js';
import { inventoryOf, type Inventory } from './inventory.js';

/**
 * The stored form of an inventory: one entry per object, `group|kind|namespace|name`, sorted,
 * e.g. `apps|Deployment|shop|web` or `|Namespace||shop`. The same entries serve a CRD status
 * (a list of strings) and a ConfigMap (one text, an entry per line).
 *
 * Group, kind and namespace cannot contain `|`; the name comes last and takes the rest, since
 * a few kinds (RBAC roles) allow nearly any character in names. In names, `%` and control
 * characters are written as `%XX`: a real name never contains `%`, so that is unambiguous, and
 * a name can never break a line.
 */
export function formatInventory(inventory: Inventory): string[] {
  return inventory.entries.map(
    (ref) => `${ref.group}|${ref.kind}|${ref.namespace}|${encodeName(ref.name)}`,
  );
}

/** The ConfigMap form: entries one per line, with a final newline (empty for an empty inventory). */
export function inventoryText(inventory: Inventory): string {
  return formatInventory(inventory)
    .map((entry) => entry + '\n')
    .join('');
}

export type InventoryParseResult = Result<Inventory, InventoryParseError>;

/** More entries than this is not an inventory but an accident (or an attack on memory). */
const MAX_ENTRIES = 100_000;
/** A group (253) + kind + namespace (63) + name (253) fits comfortably. */
const MAX_ENTRY_LENGTH = 1024;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Reads a stored inventory: a list of entries (CRD status) or a text of lines (ConfigMap).
 * Order and duplicates do not matter; every entry must be well-formed, or nothing is returned:
 * a half-read inventory would make objects silently unprunable.
 */
export function parseInventory(input: unknown): InventoryParseResult {
  const entries = typeof input === 'string' ? input.split('\n').filter((l) => l !== '') : input;
  if (!Array.isArray(entries))
    return invalid(undefined, '', 'expected a list of entries or a text');
  if (entries.length > MAX_ENTRIES) {
    return invalid(undefined, '', `${entries.length} entries; at most ${MAX_ENTRIES} are accepted`);
  }
  const refs: ObjectRef[] = [];
  for (const [i, entry] of entries.entries()) {
    if (typeof entry !== 'string') return invalid(i + 1, String(entry), 'expected a string');
    const ref = parseEntry(entry);
    if (typeof ref === 'string') return invalid(i + 1, entry, ref);
    refs.push(ref);
  }
  return { kind: 'ok', value: inventoryOf(refs) };
}

function parseEntry(entry: string): ObjectRef | string {
  if (entry.length > MAX_ENTRY_LENGTH) return `longer than ${MAX_ENTRY_LENGTH} characters`;
  const parts = entry.split('|');
  if (parts.length < 4) return 'expected group|kind|namespace|name';
  const [group = '', kind = '', namespace = ''] = parts;
  const name = decodeName(parts.slice(3).join('|'));
  if (group !== '' && (group.length > 253 || !DNS_SUBDOMAIN.test(group)))
    return `bad group "${group}"`;
  if (kind.length > 63 || !KIND.test(kind)) return `bad kind "${kind}"`;
  if (namespace !== '' && (namespace.length > 63 || !DNS_LABEL.test(namespace))) {
    return `bad namespace "${namespace}"`;
  }
  if (name === undefined) return 'bad %-escape in the name';
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.length > 253) {
    return 'bad name';
  }
  return { group, kind, namespace, name };
}

/** Whether a name character must be escaped: `%` itself, and control characters. */
function needsEscape(code: number): boolean {
  return code === 0x25 || code < 0x20 || code === 0x7f;
}

function encodeName(name: string): string {
  let out = '';
  for (const char of name) {
    const code = char.charCodeAt(0);
    out += needsEscape(code) ? `%${code.toString(16).padStart(2, '0').toUpperCase()}` : char;
  }
  return out;
}

function decodeName(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (char !== '%') {
      out += char;
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    const code = parseInt(hex, 16);
    // Only what encodeName writes is accepted, so every name has exactly one stored form.
    if (!needsEscape(code) || hex !== hex.toUpperCase()) return undefined;
    out += String.fromCharCode(code);
    i += 2;
  }
  return out;
}

function invalid(entry: number | undefined, text: string, problem: string): InventoryParseResult {
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return { kind: 'error', error: new InventoryParseError(entry, shown, problem) };
}
