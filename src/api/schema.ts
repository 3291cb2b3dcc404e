/**
 * A small schema builder. Each field of a custom resource is declared once, and everything
 * else is derived from that one declaration:
 * - its TypeScript type, by inference (`Infer<typeof x>`),
 * - its part of the CRD's openAPIV3Schema (`toOpenApi` in schema-openapi.ts),
 * - the parser that checks untrusted input and applies defaults (`validate` in schema-validate.ts).
 *
 * Only what the apiserver can enforce is expressible here, so the CRD and the parser cannot
 * disagree about what is valid: types, enums, patterns, bounds, defaults, and the two object
 * rules `atMostOne` / `exactlyOne`, which become CEL rules in the CRD.
 */

declare const phantom: unique symbol;

/** A regular expression in the subset Go's RE2 and JavaScript agree on, with words for errors. */
export interface Pattern {
  /** The expression, anchored by the author (`^…$`). */
  regex: string;
  /** What a matching value looks like, for error messages: `expected ${hint}`. */
  hint: string;
}

/** A rule over an object's fields, enforced by a CEL rule in the CRD and by the parser. */
export interface ObjectRule {
  kind: 'atMostOne' | 'exactlyOne';
  fields: readonly string[];
}

interface Described {
  /** Shown by `kubectl explain`; say what the field means and what the controller does with it. */
  description: string;
}

export type Node =
  | (Described & {
      type: 'string';
      default?: string;
      pattern?: Pattern;
      minLength?: number;
      maxLength?: number;
    })
  | (Described & { type: 'time' })
  | (Described & { type: 'duration'; default?: string; min?: string })
  | (Described & { type: 'boolean'; default?: boolean })
  | (Described & {
      type: 'integer';
      format: 'int32' | 'int64';
      default?: number;
      minimum?: number;
      maximum?: number;
    })
  | (Described & { type: 'number'; default?: number; minimum?: number })
  | (Described & { type: 'intOrPercent'; default?: number | string })
  | (Described & { type: 'enum'; values: readonly string[]; default?: string })
  | (Described & {
      type: 'array';
      items: AnySchema;
      maxItems?: number;
      /** Set for `x-kubernetes-list-type: map`: the item fields that identify an item. */
      mapKeys?: readonly string[];
    })
  | (Described & {
      type: 'object';
      fields: Fields;
      /** Only `{}` is allowed, so that nested defaults fill it in, as the apiserver does. */
      default?: Record<string, never>;
      rules: readonly ObjectRule[];
    })
  | (Described & {
      type: 'map';
      /** Every value's schema; keys are free text (the CRD cannot constrain them). */
      values: AnySchema;
      maxProperties?: number;
    })
  | (Described & { type: 'preserve' });

/**
 * One declared value: `T` is what the parser yields for it, `O` whether the field may be absent
 * from its parent object after defaulting. A field with a default is never absent.
 */
export interface Schema<T, O extends boolean = false> {
  readonly [phantom]?: T;
  readonly optional: O;
  readonly node: Node;
}

export type AnySchema = Schema<unknown, boolean>;
export type Fields = Readonly<Record<string, AnySchema>>;

/** The TypeScript type a schema parses to. */
export type Infer<S> = S extends Schema<infer T, boolean> ? T : never;

type OptionalKeys<F extends Fields> = {
  [K in keyof F]-?: F[K] extends Schema<unknown, true> ? K : never;
}[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The parsed type of an object with these fields: optional fields become `?:`, the rest are present. */
export type InferFields<F extends Fields> = Simplify<
  { -readonly [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & {
    -readonly [K in OptionalKeys<F>]?: Infer<F[K]>;
  }
>;

const schema = <T>(node: Node): Schema<T> => ({ optional: false, node });

/** The default a node declares, if any. */
export function defaultOf(node: Node): unknown {
  return 'default' in node ? node.default : undefined;
}

export function str(o: {
  description: string;
  default?: string;
  pattern?: Pattern;
  minLength?: number;
  maxLength?: number;
}): Schema<string> {
  return schema({ type: 'string', ...o });
}

/** An RFC 3339 timestamp, as metav1.Time serializes (`2025-05-12T09:14:03Z`). */
export function time(o: { description: string }): Schema<string> {
  return schema({ type: 'time', ...o });
}

/** A Go duration string (`90s`, `3m`, `1h30m`); `min` is enforced by the CRD with CEL too. */
export function duration(o: {
  description: string;
  default?: string;
  min?: string;
}): Schema<string> {
  return schema({ type: 'duration', ...o });
}

export function bool(o: { description: string; default?: boolean }): Schema<boolean> {
  return schema({ type: 'boolean', ...o });
}

export function int(o: {
  description: string;
  default?: number;
  minimum?: number;
  maximum?: number;
  format?: 'int32' | 'int64';
}): Schema<number> {
  return schema({ type: 'integer', format: 'int32', ...o });
}

export function num(o: {
  description: string;
  default?: number;
  minimum?: number;
}): Schema<number> {
  return schema({ type: 'number', ...o });
}

/**
 * A count or a percentage, as a Deployment's maxUnavailable: `3` or `"25%"`. The CRD declares it
 * int-or-string, so both forms are stored as written; `resolveIntOrPercent` reads it.
 */
export function intOrPercent(o: {
  description: string;
  default?: number | string;
}): Schema<number | string> {
  return schema({ type: 'intOrPercent', ...o });
}

/** One of a fixed set of strings; the parsed type is their union. */
export function enm<const V extends string>(
  values: readonly V[],
  o: { description: string; default?: NoInfer<V> },
): Schema<V> {
  return schema({ type: 'enum', values: [...values], ...o });
}

/**
 * A list. `mapKeys` makes it `x-kubernetes-list-type: map`, so server-side apply merges items
 * by those keys (as metav1.Condition lists are merged by `type`) and duplicates are refused.
 */
export function arr<S extends AnySchema>(
  items: S,
  o: { description: string; maxItems?: number; mapKeys?: readonly string[] },
): Schema<Infer<S>[]> {
  return schema({ type: 'array', items, ...o });
}

export function obj<F extends Fields>(
  fields: F,
  o: {
    description: string;
    default?: Record<string, never>;
    atMostOne?: readonly (keyof F & string)[];
    exactlyOne?: readonly (keyof F & string)[];
  },
): Schema<InferFields<F>> {
  const { atMostOne, exactlyOne, ...rest } = o;
  const rules: ObjectRule[] = [];
  if (atMostOne !== undefined) rules.push({ kind: 'atMostOne', fields: atMostOne });
  if (exactlyOne !== undefined) rules.push({ kind: 'exactlyOne', fields: exactlyOne });
  return schema({ type: 'object', fields, rules, ...rest });
}

/**
 * A map from free-form keys to values of one schema (`map[string]string` in Go, such as
 * matchLabels). The CRD can bound its size and check its values, not its keys: a rule about
 * keys belongs in the parser's checks after `validate`, as the ignore rules' do.
 */
export function map<S extends AnySchema>(
  values: S,
  o: { description: string; maxProperties?: number },
): Schema<Record<string, Infer<S>>> {
  return schema({ type: 'map', values, ...o });
}

/** An object the schema does not describe (Helm values): kept whole, never pruned. */
export function preserve(o: { description: string }): Schema<Record<string, unknown>> {
  return schema({ type: 'preserve', ...o });
}

/** Marks a field that may be absent. A field with a default is never absent, so it cannot be optional. */
export function opt<T>(s: Schema<T>): Schema<T, true> {
  if (defaultOf(s.node) !== undefined) {
    throw new Error(`schema: "${s.node.description}" has a default, so it cannot be optional`);
  }
  return { optional: true, node: s.node };
}

/** Fields the input must carry: neither optional nor defaulted (the CRD's `required`). */
export function requiredFields(fields: Fields): string[] {
  return Object.entries(fields)
    .filter(([, f]) => !f.optional && defaultOf(f.node) === undefined)
    .map(([k]) => k);
}
