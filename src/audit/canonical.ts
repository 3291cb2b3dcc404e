import { createHash } from 'node:crypto';

/** A value the canonical encoding accepts. */
export type Canonical =
  | string
  | number
  | boolean
  | null
  | readonly Canonical[]
  | { readonly [key: string]: Canonical | undefined };

/** A value the canonical encoding cannot represent, named by where it sits. */
export class CanonicalEncodingError extends Error {
  override readonly name = 'CanonicalEncodingError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path === '' ? '(root)' : path}: ${problem}`);
  }
}

/**
 * The canonical encoding hashed into the ledger's chain. It is JSON with:
 * - object keys sorted by UTF-16 code units (JavaScript's default sort), at every depth;
 * - no whitespace anywhere;
 * - strings escaped exactly as `JSON.stringify` escapes them;
 * - numbers only when they are safe integers (records hold counts and seqs, never floats, whose
 *   text form differs between encoders);
 * - object members whose value is `undefined` left out, as if absent, so an optional field set
 *   to undefined hashes the same as one never set;
 * - nothing else: no `undefined` in arrays, no Dates, Maps, NaN or other objects.
 * This is the subset of RFC 8785 (JCS) that our records need, so any JCS implementation
 * reproduces a record's hash.
 */
export function canonicalJson(value: Canonical): string {
  return encode(value, []);
}

/** The segments down to the value being encoded; joined only for an error, as verify is hot. */
type Path = (string | number)[];

const where = (path: Path): string => path.map((p) => `/${p}`).join('');

function encode(value: Canonical | undefined, path: Path): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value))
        throw new CanonicalEncodingError(where(path), `${value} is not a safe integer`);
      return String(value);
    case 'undefined':
      throw new CanonicalEncodingError(where(path), 'undefined has no encoding');
    case 'object':
      break;
    default:
      throw new CanonicalEncodingError(where(path), `a ${typeof value} has no encoding`);
  }
  if (Array.isArray(value)) {
    const items = value.map((v: Canonical, i) => {
      path.push(i);
      const text = encode(v, path);
      path.pop();
      return text;
    });
    return `[${items.join(',')}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new CanonicalEncodingError(where(path), 'only plain objects have an encoding');
  }
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, Canonical | undefined>)[key];
    if (v === undefined) continue;
    path.push(key);
    members.push(`${JSON.stringify(key)}:${encode(v, path)}`);
    path.pop();
  }
  return `{${members.join(',')}}`;
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
