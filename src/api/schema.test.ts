import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseDuration } from './schema-duration.js';
import { toOpenApi } from './schema-openapi.js';
import { validate } from './schema-validate.js';
import {
  arr,
  bool,
  duration,
  enm,
  int,
  map,
  obj,
  opt,
  preserve,
  str,
  time,
  type Infer,
} from './schema.js';

const item = obj(
  {
    type: enm(['A', 'B'], { description: 'the key' }),
    note: opt(str({ description: 'a note', maxLength: 3 })),
  },
  { description: 'an item' },
);

const example = obj(
  {
    name: str({ description: 'a name', minLength: 1 }),
    mode: enm(['fast', 'safe'], { description: 'a mode', default: 'safe' }),
    tuning: obj(
      { level: int({ description: 'a level', default: 1, minimum: 0 }) },
      { description: 'tuning', default: {} },
    ),
    items: opt(arr(item, { description: 'items', mapKeys: ['type'], maxItems: 3 })),
    extra: opt(preserve({ description: 'anything' })),
    a: opt(bool({ description: 'a' })),
    b: opt(bool({ description: 'b' })),
    every: opt(duration({ description: 'how often', min: '1s' })),
    at: opt(time({ description: 'when' })),
  },
  { description: 'an example', atMostOne: ['a', 'b'] },
);

describe('the schema builder', () => {
  it('infers a type where defaulted fields are present and optional ones may be absent', () => {
    expectTypeOf<Infer<typeof example>>().toEqualTypeOf<{
      name: string;
      mode: 'fast' | 'safe';
      tuning: { level: number };
      items?: { type: 'A' | 'B'; note?: string }[];
      extra?: Record<string, unknown>;
      a?: boolean;
      b?: boolean;
      every?: string;
      at?: string;
    }>();
  });

  it('generates a structural schema: required lists only fields with neither default nor opt', () => {
    const s = toOpenApi(example);
    expect(s.required).toEqual(['name']);
    expect(s.properties?.['mode']).toEqual({
      type: 'string',
      description: 'a mode',
      enum: ['fast', 'safe'],
      default: 'safe',
    });
    expect(s.properties?.['tuning']).toMatchObject({ type: 'object', default: {} });
    expect(s.properties?.['items']).toMatchObject({
      type: 'array',
      maxItems: 3,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: { type: 'object', required: ['type'] },
    });
    expect(s.properties?.['extra']).toEqual({
      type: 'object',
      description: 'anything',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(s.properties?.['at']).toEqual({
      type: 'string',
      format: 'date-time',
      description: 'when',
    });
    expect(s['x-kubernetes-validations']).toEqual([
      {
        rule: '[has(self.a), has(self.b)].filter(x, x).size() <= 1',
        message: 'set at most one of a, b',
      },
    ]);
    expect(s.properties?.['every']?.['x-kubernetes-validations']).toEqual([
      { rule: "duration(self) >= duration('1s')", message: 'must be at least 1s' },
    ]);
  });

  it('refuses to make a defaulted field optional, since it can never be absent', () => {
    expect(() => opt(str({ description: 'x', default: 'y' }))).toThrow(/has a default/);
  });
});

describe('validate', () => {
  it('fills defaults into objects it created from a default, as the apiserver does', () => {
    expect(validate(example, { name: 'n' }, '')).toEqual({
      kind: 'ok',
      value: { name: 'n', mode: 'safe', tuning: { level: 1 } },
    });
  });

  it('treats null as absent, so a default applies and an optional field stays unset', () => {
    expect(validate(example, { name: 'n', mode: null, extra: null }, '')).toEqual({
      kind: 'ok',
      value: { name: 'n', mode: 'safe', tuning: { level: 1 } },
    });
  });

  it('names the path of each problem, with list indexes', () => {
    const r = validate(
      example,
      { name: '', items: [{ type: 'C' }, { type: 'A', note: 'long' }], at: '2025-13-01T00:00:00Z' },
      'spec',
    );
    expect(r).toEqual({
      kind: 'invalid',
      problems: [
        'spec.name: must not be empty',
        'spec.items[0].type: expected one of A, B',
        'spec.items[1].note: must be at most 3 characters',
        'spec.at: expected an RFC 3339 time such as 2025-05-12T09:14:03Z',
      ],
    });
  });

  it('counts characters, not UTF-16 units, as Kubernetes does', () => {
    expect(validate(item, { type: 'A', note: '🚀🚀🚀' }, '').kind).toBe('ok');
  });

  it('counts an invalid field as set for at-most-one rules, and reports both problems', () => {
    expect(validate(example, { name: 'n', a: true, b: 'yes' }, '')).toEqual({
      kind: 'invalid',
      problems: ['b: expected true or false', 'set at most one of a, b'],
    });
  });

  it('refuses duplicate keys in a map list and lists longer than their bound', () => {
    expect(validate(example, { name: 'n', items: [{ type: 'A' }, { type: 'A' }] }, 'x')).toEqual({
      kind: 'invalid',
      problems: ['x.items[1]: duplicate entry with type="A"'],
    });
    const four = Array.from({ length: 4 }, () => ({ type: 'A' }));
    expect(validate(example, { name: 'n', items: four }, 'x')).toEqual({
      kind: 'invalid',
      problems: ['x.items: must have at most 3 items'],
    });
  });

  it('copies preserved objects whole, unknown fields and all', () => {
    const extra = { deep: { list: [1, { a: null }] } };
    const r = validate(example, { name: 'n', extra }, '');
    expect(r.kind === 'ok' && r.value.extra).toEqual(extra);
    expect(r.kind === 'ok' && r.value.extra).not.toBe(extra);
  });
});

describe('maps', () => {
  const labels = map(str({ description: 'a value', maxLength: 3 }), {
    description: 'labels',
    maxProperties: 2,
  });

  it('infer a record and generate additionalProperties, never properties beside it', () => {
    expectTypeOf<Infer<typeof labels>>().toEqualTypeOf<Record<string, string>>();
    expect(toOpenApi(labels)).toEqual({
      type: 'object',
      description: 'labels',
      additionalProperties: { type: 'string', description: 'a value', maxLength: 3 },
      maxProperties: 2,
    });
  });

  it('name a bad value by its key, quoted so dots and slashes in keys stay readable', () => {
    expect(validate(labels, { 'app.kubernetes.io/name': 'long', ok: 'yes' }, 'm')).toEqual({
      kind: 'invalid',
      problems: ['m["app.kubernetes.io/name"]: must be at most 3 characters'],
    });
    expect(validate(labels, { a: '1', b: '2', c: '3' }, 'm')).toEqual({
      kind: 'invalid',
      problems: ['m: must have at most 2 entries'],
    });
  });

  it('keep a key named __proto__ as a key, so it cannot replace the prototype', () => {
    const r = validate(labels, JSON.parse('{"__proto__": "x"}'), 'm');
    expect(r.kind).toBe('ok');
    const value = r.kind === 'ok' ? r.value : {};
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe('x');
  });
});

describe('parseDuration', () => {
  it('reads Go durations in milliseconds', () => {
    expect(parseDuration('3m')).toBe(180_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1500µs')).toBe(1.5);
  });

  it('refuses forms outside the subset the CRD pattern allows: no unit, a sign, spaces, days', () => {
    for (const bad of ['', '3', '3 minutes', '-1s', '1d', 'm', '1.s', ' 3m'])
      expect(parseDuration(bad), bad).toBeUndefined();
  });
});
