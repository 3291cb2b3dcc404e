import { goDurationPattern, parseDuration } from './schema-duration.js';
import { celFor } from './schema-openapi.js';
import { intOrPercentPattern } from './int-or-percent.js';
import { defaultOf, type AnySchema, type Node, type Schema } from './schema.js';

/** How untrusted input is checked against a schema. */
export interface ValidateOptions {
  /**
   * Fields the schema does not declare. `reject` reports each one, as kubectl's strict field
   * validation does, so a typo (`selfheal`) is an error rather than a silent no-op. `drop`
   * removes them, as the apiserver's pruning does: right for objects read back from a newer
   * apiserver during an upgrade.
   */
  unknownFields: 'reject' | 'drop';
}

export function defaultValidateOptions(): ValidateOptions {
  return { unknownFields: 'reject' };
}

export type ValidateResult<T> = { kind: 'ok'; value: T } | { kind: 'invalid'; problems: string[] };

interface Context {
  opts: ValidateOptions;
  problems: string[];
}

/** Marks a value that failed; its problem has been recorded. */
const INVALID: unique symbol = Symbol('invalid');
type Checked = unknown;

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function fail(ctx: Context, path: string, problem: string): typeof INVALID {
  ctx.problems.push(path === '' ? problem : `${path}: ${problem}`);
  return INVALID;
}

const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/**
 * Checks `input` against a schema and returns a copy with defaults applied and unknown fields
 * removed, or every problem found, each naming its field path (`spec.syncPolicy.drift: …`).
 * Defaulting follows the apiserver's structural defaulting: null counts as absent, a default
 * is filled in and then defaulted inside, so the result equals what the apiserver would store.
 */
export function validate<T>(
  s: Schema<T, boolean>,
  input: unknown,
  path: string,
  partial: Partial<ValidateOptions> = {},
): ValidateResult<T> {
  const ctx: Context = { opts: { ...defaultValidateOptions(), ...partial }, problems: [] };
  const value = check(s.node, input, path, ctx);
  return ctx.problems.length > 0 || value === INVALID
    ? { kind: 'invalid', problems: ctx.problems }
    : { kind: 'ok', value: value as T };
}

function check(n: Node, v: unknown, path: string, ctx: Context): Checked {
  switch (n.type) {
    case 'string':
      return checkString(n, v, path, ctx);
    case 'time':
      return typeof v === 'string' && rfc3339.test(v) && !Number.isNaN(Date.parse(v))
        ? v
        : fail(ctx, path, 'expected an RFC 3339 time such as 2025-05-12T09:14:03Z');
    case 'duration':
      return checkDuration(n, v, path, ctx);
    case 'boolean':
      return typeof v === 'boolean' ? v : fail(ctx, path, 'expected true or false');
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v))
        return fail(ctx, path, 'expected a whole number');
      return checkBounds(n, v, path, ctx);
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail(ctx, path, 'expected a number');
      return checkBounds(n, v, path, ctx);
    case 'intOrPercent':
      return (typeof v === 'number' && Number.isInteger(v) && v >= 0) ||
        (typeof v === 'string' && new RegExp(intOrPercentPattern.regex).test(v))
        ? v
        : fail(ctx, path, `expected ${intOrPercentPattern.hint}`);
    case 'enum':
      return typeof v === 'string' && n.values.includes(v)
        ? v
        : fail(ctx, path, `expected one of ${n.values.join(', ')}`);
    case 'array':
      return checkArray(n, v, path, ctx);
    case 'object':
      return checkObject(n, v, path, ctx);
    case 'map':
      return checkMap(n, v, path, ctx);
    case 'preserve':
      return checkPreserved(v, path, ctx);
  }
}

function checkString(
  n: Extract<Node, { type: 'string' }>,
  v: unknown,
  path: string,
  ctx: Context,
): Checked {
  if (typeof v !== 'string') return fail(ctx, path, 'expected a string');
  const length = codePoints(v);
  if (n.minLength !== undefined && length < n.minLength) {
    return fail(
      ctx,
      path,
      n.minLength === 1 ? 'must not be empty' : `must be at least ${n.minLength} characters`,
    );
  }
  if (n.maxLength !== undefined && length > n.maxLength)
    return fail(ctx, path, `must be at most ${n.maxLength} characters`);
  if (n.pattern !== undefined && !new RegExp(n.pattern.regex).test(v))
    return fail(ctx, path, `expected ${n.pattern.hint}`);
  return v;
}

/** Kubernetes bounds strings in characters (Go runes, i.e. code points), not UTF-16 units. */
function codePoints(s: string): number {
  return Array.from(s).length;
}

function checkDuration(
  n: Extract<Node, { type: 'duration' }>,
  v: unknown,
  path: string,
  ctx: Context,
): Checked {
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined) return fail(ctx, path, `expected ${goDurationPattern.hint}`);
  const min = n.min === undefined ? undefined : parseDuration(n.min);
  if (min !== undefined && ms < min) return fail(ctx, path, `must be at least ${n.min ?? ''}`);
  return v;
}

function checkBounds(
  n: { minimum?: number; maximum?: number },
  v: number,
  path: string,
  ctx: Context,
): Checked {
  if (n.minimum !== undefined && v < n.minimum)
    return fail(ctx, path, `must be at least ${n.minimum}`);
  if (n.maximum !== undefined && v > n.maximum)
    return fail(ctx, path, `must be at most ${n.maximum}`);
  return v;
}

function checkArray(
  n: Extract<Node, { type: 'array' }>,
  v: unknown,
  path: string,
  ctx: Context,
): Checked {
  if (!Array.isArray(v)) return fail(ctx, path, 'expected a list');
  if (n.maxItems !== undefined && v.length > n.maxItems)
    return fail(ctx, path, `must have at most ${n.maxItems} items`);
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const [i, item] of v.entries()) {
    const itemPath = `${path}[${i}]`;
    const checked = check(n.items.node, item, itemPath, ctx);
    if (checked === INVALID) continue;
    if (n.mapKeys !== undefined) {
      const record = checked as Record<string, unknown>;
      const key = n.mapKeys.map((k) => `${k}=${JSON.stringify(record[k])}`).join(', ');
      if (seen.has(key)) fail(ctx, itemPath, `duplicate entry with ${key}`);
      seen.add(key);
    }
    out.push(checked);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkObject(
  n: Extract<Node, { type: 'object' }>,
  v: unknown,
  path: string,
  ctx: Context,
): Checked {
  if (!isRecord(v)) return fail(ctx, path, 'expected an object');
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(n.fields)) {
    const fieldPath = child(path, key);
    const raw = v[key];
    // The apiserver drops nulls of non-nullable fields before defaulting, so null is absence.
    if (raw === undefined || raw === null) {
      const dflt = defaultOf(field.node);
      if (dflt !== undefined) out[key] = check(field.node, structuredClone(dflt), fieldPath, ctx);
      else if (!field.optional) fail(ctx, fieldPath, 'required');
      continue;
    }
    const checked = check(field.node, raw, fieldPath, ctx);
    if (checked !== INVALID) out[key] = checked;
  }
  if (ctx.opts.unknownFields === 'reject') {
    for (const key of Object.keys(v)) {
      if (!Object.hasOwn(n.fields, key)) fail(ctx, child(path, key), unknownField(key, n.fields));
    }
  }
  for (const rule of n.rules) {
    // Counted on the input too, so an invalid field still counts as set and is reported once.
    const present = rule.fields.filter(
      (f) => out[f] !== undefined || (v[f] ?? null) !== null,
    ).length;
    const ok = rule.kind === 'atMostOne' ? present <= 1 : present === 1;
    if (!ok) fail(ctx, path, celFor(rule).message);
  }
  return out;
}

/** `path["key"]`: a map key may hold dots and slashes (`app.kubernetes.io/name`). */
export const mapEntryPath = (path: string, key: string): string =>
  `${path}[${JSON.stringify(key)}]`;

function checkMap(
  n: Extract<Node, { type: 'map' }>,
  v: unknown,
  path: string,
  ctx: Context,
): Checked {
  if (!isRecord(v)) return fail(ctx, path, 'expected an object');
  const entries = Object.entries(v);
  if (n.maxProperties !== undefined && entries.length > n.maxProperties)
    return fail(ctx, path, `must have at most ${n.maxProperties} entries`);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of entries) {
    const checked = check(n.values.node, raw, mapEntryPath(path, key), ctx);
    // Defined, not assigned: a key named __proto__ must stay a key, not become the prototype.
    if (checked !== INVALID)
      Object.defineProperty(out, key, {
        value: checked,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return out;
}

/** "unknown field", with the declared field it was probably meant to be. */
function unknownField(key: string, fields: Readonly<Record<string, AnySchema>>): string {
  const near = Object.keys(fields).find((f) => f.toLowerCase() === key.toLowerCase());
  return near === undefined ? 'unknown field' : `unknown field (did you mean ${near}?)`;
}

function checkPreserved(v: unknown, path: string, ctx: Context): Checked {
  if (!isRecord(v)) return fail(ctx, path, 'expected an object');
  try {
    // A copy, so the parsed value never shares structure with the caller's input.
    return JSON.parse(JSON.stringify(v)) as unknown;
  } catch (e) {
    return fail(ctx, path, `expected JSON data (${e instanceof Error ? e.message : String(e)})`);
  }
}
