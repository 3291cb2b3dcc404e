import { goDurationPattern } from './schema-duration.js';
import { intOrPercentPattern } from './int-or-percent.js';
import { requiredFields, type AnySchema, type Node, type ObjectRule } from './schema.js';

/** A CEL rule as a CRD carries it (`x-kubernetes-validations`). */
export interface CelRule {
  rule: string;
  message: string;
}

/** The part of apiextensions.k8s.io/v1 JSONSchemaProps that the schema builder produces. */
export interface JsonSchemaProps {
  /** Absent only on an int-or-string, whose `anyOf` names both types. */
  type?: 'string' | 'boolean' | 'integer' | 'number' | 'array' | 'object';
  anyOf?: { type: 'integer' | 'string' }[];
  'x-kubernetes-int-or-string'?: true;
  description?: string;
  default?: unknown;
  enum?: string[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  maxProperties?: number;
  items?: JsonSchemaProps;
  properties?: Record<string, JsonSchemaProps>;
  /** Only without `properties`: a structural schema may not mix the two. */
  additionalProperties?: JsonSchemaProps;
  required?: string[];
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-list-type'?: 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: CelRule[];
}

/** `{key: value}`, or `{}` when the value is undefined: keeps absent settings out of the CRD. */
function when<K extends keyof JsonSchemaProps>(
  key: K,
  value: JsonSchemaProps[K] | undefined,
): Partial<JsonSchemaProps> {
  return value === undefined ? {} : { [key]: value };
}

/** The CEL rule and message for an object rule; the parser reports the same message. */
export function celFor(rule: ObjectRule): CelRule {
  const present = `[${rule.fields.map((f) => `has(self.${f})`).join(', ')}]`;
  const names = rule.fields.join(', ');
  return rule.kind === 'atMostOne'
    ? { rule: `${present}.filter(x, x).size() <= 1`, message: `set at most one of ${names}` }
    : { rule: `${present}.exists_one(x, x)`, message: `set exactly one of ${names}` };
}

/** Go durations are bounded in length so CEL's cost estimate for duration() stays small. */
const maxDurationLength = 64;

/** The openAPIV3Schema of one declared value, structural as the apiserver requires. */
export function toOpenApi(s: AnySchema): JsonSchemaProps {
  const n: Node = s.node;
  const d = { description: n.description };
  switch (n.type) {
    case 'string':
      return {
        type: 'string',
        ...d,
        ...when('default', n.default),
        ...when('pattern', n.pattern?.regex),
        ...when('minLength', n.minLength),
        ...when('maxLength', n.maxLength),
      };
    case 'time':
      return { type: 'string', format: 'date-time', ...d };
    case 'duration':
      return {
        type: 'string',
        ...d,
        ...when('default', n.default),
        pattern: goDurationPattern.regex,
        maxLength: maxDurationLength,
        ...when(
          'x-kubernetes-validations',
          n.min === undefined
            ? undefined
            : [
                {
                  rule: `duration(self) >= duration('${n.min}')`,
                  message: `must be at least ${n.min}`,
                },
              ],
        ),
      };
    case 'boolean':
      return { type: 'boolean', ...d, ...when('default', n.default) };
    case 'integer':
      return {
        type: 'integer',
        format: n.format,
        ...d,
        ...when('default', n.default),
        ...when('minimum', n.minimum),
        ...when('maximum', n.maximum),
      };
    case 'number':
      return { type: 'number', ...d, ...when('default', n.default), ...when('minimum', n.minimum) };
    case 'intOrPercent':
      return {
        'x-kubernetes-int-or-string': true,
        anyOf: [{ type: 'integer' }, { type: 'string' }],
        ...d,
        ...when('default', n.default),
        'x-kubernetes-validations': [
          {
            rule: `type(self) == int ? self >= 0 : self.matches('${intOrPercentPattern.regex}')`,
            message: `expected ${intOrPercentPattern.hint}`,
          },
        ],
      };
    case 'enum':
      return { type: 'string', ...d, enum: [...n.values], ...when('default', n.default) };
    case 'array':
      return {
        type: 'array',
        ...d,
        items: toOpenApi(n.items),
        ...when('maxItems', n.maxItems),
        ...(n.mapKeys === undefined
          ? {}
          : { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [...n.mapKeys] }),
      };
    case 'object': {
      const required = requiredFields(n.fields);
      return {
        type: 'object',
        ...d,
        ...when('default', n.default),
        properties: Object.fromEntries(Object.entries(n.fields).map(([k, f]) => [k, toOpenApi(f)])),
        ...when('required', required.length === 0 ? undefined : required),
        ...when('x-kubernetes-validations', n.rules.length === 0 ? undefined : n.rules.map(celFor)),
      };
    }
    case 'map':
      return {
        type: 'object',
        ...d,
        additionalProperties: toOpenApi(n.values),
        ...when('maxProperties', n.maxProperties),
      };
    case 'preserve':
      return { type: 'object', ...d, 'x-kubernetes-preserve-unknown-fields': true };
  }
}
