import type { Failed, Result } from '../api/errors.js';
import { formatRef, groupOf, refOf, type KubeObject, type Origin } from '../api/object.js';
import { VaultPlaceholderError } from './errors.js';

/**
 * The placeholder grammar, documented in the README:
 *
 *   <vault:PATH#KEY>  or  <vault:PATH#KEY#VERSION>
 *
 * PATH is one or more segments of [A-Za-z0-9_.-] joined by `/` (never `.` or `..`, so a path
 * cannot climb to another endpoint), KEY is one or more of [A-Za-z0-9_.-], VERSION a positive
 * integer (KV version 2 only). A PATH that starts with the mount (`secret/`) is read as written;
 * any other is below the mount (`payments/db` reads `secret/data/payments/db` on KV version 2).
 */
const segment =
  '[A-Za-z0-9_-][A-Za-z0-9_.-]*|\\.[A-Za-z0-9_-][A-Za-z0-9_.-]*|\\.\\.[A-Za-z0-9_.-]+';
const pathRe = new RegExp(`^(${segment})(/(${segment}))*$`);
const keyRe = /^[A-Za-z0-9_.-]+$/;
const versionRe = /^[1-9][0-9]{0,8}$/;
/** Any text that starts like a placeholder, up to its closing `>` (or the end of the string). */
const candidate = /<vault:([^>]*)(>|$)/g;
const marker = '<vault:';

/** How a short placeholder path is read: from `spec.vault.mount` and `kvVersion`. */
export interface MountDefaults {
  mount: string;
  kvVersion: '1' | '2';
}

/** One value in Vault: the API path (below /v1/), the key in its data, and a pinned version. */
export interface VaultRef {
  path: string;
  key: string;
  version?: number;
}

/** The document a ref is read from: the same path and version share one read. */
export function documentKey(ref: VaultRef): string {
  return ref.version === undefined ? ref.path : `${ref.path}?version=${String(ref.version)}`;
}

export function formatVaultRef(ref: VaultRef): string {
  return `${ref.path}#${ref.key}${ref.version === undefined ? '' : `#${String(ref.version)}`}`;
}

/** A rendered object and where it came from, as render/ hands it on. */
export interface Placed {
  object: KubeObject;
  origin: Origin;
}

/** Where one placeholder sits: which object, which field of it, and what it names. */
export interface Found {
  index: number;
  field: 'data' | 'stringData';
  key: string;
  ref: VaultRef;
}

const where = (p: Placed): string =>
  `${formatRef(refOf(p.object))} (${p.origin.file}:${String(p.origin.line)})`;

function fail(p: Placed, problem: string): Failed<VaultPlaceholderError> {
  return {
    kind: 'error',
    error: new VaultPlaceholderError(refOf(p.object), p.origin, `${where(p)}: ${problem}`),
  };
}

/** One placeholder's text (between `<vault:` and `>`) as a ref, or what is wrong with it. */
export function parsePlaceholder(body: string, defaults: MountDefaults): Result<VaultRef, Error> {
  const [path = '', key = '', version, ...rest] = body.split('#');
  const bad = (why: string): Failed<Error> => ({
    kind: 'error',
    error: new Error(
      `<vault:${body}> is not a placeholder: ${why}; the form is <vault:PATH#KEY> or <vault:PATH#KEY#VERSION>`,
    ),
  });
  if (rest.length > 0) return bad('too many #');
  if (!pathRe.test(path)) return bad('PATH must be segments of A-Z a-z 0-9 _ . - joined by /');
  if (!keyRe.test(key)) return bad('KEY must be A-Z a-z 0-9 _ . -');
  if (version !== undefined && !versionRe.test(version))
    return bad('VERSION must be a positive integer');
  if (version !== undefined && defaults.kvVersion === '1')
    return bad('a #VERSION needs a KV version 2 mount (spec.vault.kvVersion)');
  const below = path === defaults.mount || path.startsWith(`${defaults.mount}/`);
  const full = below
    ? path
    : defaults.kvVersion === '2'
      ? `${defaults.mount}/data/${path}`
      : `${defaults.mount}/${path}`;
  return {
    kind: 'ok',
    value: { path: full, key, ...(version === undefined ? {} : { version: Number(version) }) },
  };
}

/** Every placeholder in `text`, parsed; the first malformed one fails. */
function placeholdersIn(text: string, defaults: MountDefaults): Result<VaultRef[], Error> {
  const out: VaultRef[] = [];
  for (const m of text.matchAll(candidate)) {
    const body = m[1] ?? '';
    if (m[2] !== '>')
      return { kind: 'error', error: new Error(`<vault:${body.slice(0, 80)} has no closing >`) };
    const ref = parsePlaceholder(body, defaults);
    if (ref.kind === 'error') return ref;
    out.push(ref.value);
  }
  return { kind: 'ok', value: out };
}

const isCoreSecret = (o: KubeObject): boolean =>
  o.kind === 'Secret' && groupOf(o.apiVersion) === '';

function decoded(value: string): string | undefined {
  const text = Buffer.from(value, 'base64').toString('utf8');
  // Only a value that really is base64 of text counts; anything else is not ours to read.
  return Buffer.from(text, 'utf8').toString('base64') === value.replace(/\s/g, '')
    ? text
    : undefined;
}

/** A JSON-ish path to the first string holding `<vault:` in `value`, keys included. */
function strayPlaceholder(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes(marker) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`;
    if (k.includes(marker)) return at;
    const hit = strayPlaceholder(v, at);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * Every placeholder in the rendered objects. Only a core Secret's `stringData` and `data` values
 * may hold one (in `data`, as written or base64-encoded, as a secretGenerator or Helm's b64enc
 * gives it): anywhere else, a Vault value would land where more people can read it than the
 * Secret's readers (a ConfigMap, an annotation, a label), so such an object is refused.
 */
export function findPlaceholders(
  objects: readonly Placed[],
  defaults: MountDefaults,
): Result<Found[], VaultPlaceholderError> {
  const found: Found[] = [];
  for (const [index, p] of objects.entries()) {
    const secret = isCoreSecret(p.object);
    // One native pass rules out most objects; a Secret's data may hide a base64 placeholder.
    if (!secret && !JSON.stringify(p.object).includes(marker)) continue;
    const { data, stringData, ...rest } = p.object as Record<string, unknown>;
    const stray = strayPlaceholder(secret ? rest : p.object, '');
    if (stray !== undefined)
      return fail(
        p,
        `${stray} holds a <vault:…> placeholder; placeholders are resolved only in a Secret's data or stringData, so nothing was applied`,
      );
    if (!secret) continue;
    for (const [field, map] of [
      ['stringData', stringData],
      ['data', data],
    ] as const) {
      if (typeof map !== 'object' || map === null) continue;
      for (const [key, value] of Object.entries(map)) {
        if (key.includes(marker))
          return fail(p, `${field} has a key holding a <vault:…> placeholder`);
        if (typeof value !== 'string') continue;
        const text = field === 'data' && !value.startsWith(marker) ? decoded(value) : value;
        if (text === undefined || !text.includes(marker)) continue;
        const refs = placeholdersIn(text, defaults);
        if (refs.kind === 'error') return fail(p, `${field}.${key}: ${refs.error.message}`);
        for (const ref of refs.value) found.push({ index, field, key, ref });
      }
    }
  }
  return { kind: 'ok', value: found };
}

/** Looks up one value; undefined when its document has no such key. */
export type Lookup = (ref: VaultRef) => string | undefined;

/**
 * The objects with every placeholder replaced by its value (base64 in `data`). A missing key
 * fails naming the file, the object, the field, the path and the key, never a value.
 */
export function fillPlaceholders<P extends Placed>(
  objects: readonly P[],
  found: readonly Found[],
  defaults: MountDefaults,
  lookup: Lookup,
): Result<P[], VaultPlaceholderError> {
  const out = [...objects];
  const touched = new Set(found.map((f) => f.index));
  for (const index of touched) {
    const p = objects[index] as P;
    const copy = structuredClone(p.object) as Record<string, unknown>;
    for (const field of ['stringData', 'data'] as const) {
      const map = copy[field] as Record<string, unknown> | undefined;
      if (map === undefined) continue;
      const keys = new Set(
        found.filter((x) => x.index === index && x.field === field).map((x) => x.key),
      );
      for (const key of keys) {
        const raw = map[key] as string;
        const encoded = field === 'data' && !raw.startsWith(marker);
        const text = encoded ? (decoded(raw) ?? '') : raw;
        let missing: VaultRef | undefined;
        const filled = text.replace(candidate, (_m, body: string) => {
          const ref = parsePlaceholder(body, defaults);
          const value = ref.kind === 'ok' ? lookup(ref.value) : undefined;
          if (value === undefined && ref.kind === 'ok') missing ??= ref.value;
          return value ?? '';
        });
        if (missing !== undefined)
          return fail(
            p,
            `${field}.${key}: Vault has no key "${missing.key}" at ${missing.path}${missing.version === undefined ? '' : ` version ${String(missing.version)}`}; nothing was applied`,
          );
        map[key] = field === 'data' ? Buffer.from(filled, 'utf8').toString('base64') : filled;
      }
    }
    out[index] = { ...p, object: copy as KubeObject };
  }
  return { kind: 'ok', value: out };
}
