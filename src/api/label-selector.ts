import { arr, enm, map, obj, opt, str, type Infer, type Pattern } from './schema.js';
import { mapEntryPath } from './schema-validate.js';

/** A label value as Kubernetes allows it; the empty value is allowed. */
export const labelValuePattern: Pattern = {
  regex: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
  hint: 'a label value: letters, digits, -, _ and ., starting and ending with a letter or digit',
};

const labelValue = (description: string) =>
  str({ description, maxLength: 63, pattern: labelValuePattern });

export const selectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/**
 * metav1.LabelSelector. The CRD checks its shape and values; the rules it cannot state (label
 * keys, values present for In and NotIn only) are checked by `labelSelectorProblems`, as the
 * apiserver's own Go validation does for built-in kinds.
 */
export function labelSelectorSchema(o: { description: string; what: string }) {
  return obj(
    {
      matchLabels: opt(
        map(labelValue('The value the label must have.'), {
          description: `Labels the ${o.what} must carry, each with exactly this value.`,
          maxProperties: 64,
        }),
      ),
      matchExpressions: opt(
        arr(
          obj(
            {
              key: str({ description: 'The label key.', minLength: 1, maxLength: 317 }),
              operator: enm(selectorOperators, {
                description:
                  'In: the label has one of values. NotIn: the label is absent or has none of ' +
                  'values. Exists: the label is present. DoesNotExist: it is absent.',
              }),
              values: opt(
                arr(labelValue('A label value.'), {
                  description: 'Values for In and NotIn; empty for Exists and DoesNotExist.',
                  maxItems: 256,
                }),
              ),
            },
            { description: 'One requirement on a label.' },
          ),
          {
            description: `Requirements on the ${o.what}'s labels, all of which must hold.`,
            maxItems: 64,
          },
        ),
      ),
    },
    {
      description:
        `${o.description} matchLabels and matchExpressions must all hold; an empty selector ` +
        `({}) selects every ${o.what}.`,
    },
  );
}

export type LabelSelector = Infer<ReturnType<typeof labelSelectorSchema>>;
export type SelectorOperator = (typeof selectorOperators)[number];

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why a label key is not a Kubernetes qualified name (`[prefix/]name`), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix)))
    return 'expected a label key whose prefix (before /) is a DNS subdomain of at most 253 characters';
  if (name.length > 63 || !labelName.test(name))
    return (
      'expected a label key: at most 63 letters, digits, -, _ and . (after an optional ' +
      'prefix/), starting and ending with a letter or digit'
    );
  return undefined;
}

/**
 * What is wrong with a selector that passed the schema, each problem with its field path
 * (`spec.placement.clusterSelector.matchExpressions[0].values: …`). Empty when it is valid.
 */
export function labelSelectorProblems(sel: LabelSelector, path: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(sel.matchLabels ?? {})) {
    const bad = labelKeyProblem(key);
    if (bad !== undefined) problems.push(`${mapEntryPath(`${path}.matchLabels`, key)}: ${bad}`);
  }
  for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
    const at = `${path}.matchExpressions[${i}]`;
    const bad = labelKeyProblem(e.key);
    if (bad !== undefined) problems.push(`${at}.key: ${bad}`);
    const count = e.values?.length ?? 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && count === 0)
      problems.push(`${at}.values: ${e.operator} needs at least one value`);
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && count > 0)
      problems.push(`${at}.values: must be empty for ${e.operator}`);
  }
  return problems;
}

/** The label's value, read as an own property: a label is never found on Object.prototype. */
function labelOf(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/**
 * Whether labels satisfy a selector, with Kubernetes' semantics: every requirement must hold,
 * NotIn holds for an absent label, and an empty selector selects everything. Total: a selector
 * `labelSelectorProblems` would refuse (In with no values) simply selects nothing.
 */
export function matchesLabelSelector(
  sel: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const have = labels ?? {};
  for (const [key, want] of Object.entries(sel.matchLabels ?? {}))
    if (labelOf(have, key) !== want) return false;
  for (const e of sel.matchExpressions ?? [])
    if (!requirementHolds(e.operator, labelOf(have, e.key), e.values ?? [])) return false;
  return true;
}

function requirementHolds(
  operator: SelectorOperator,
  value: string | undefined,
  values: readonly string[],
): boolean {
  switch (operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
}
