import { describe, expect, it } from 'vitest';
import {
  labelKeyProblem,
  labelSelectorProblems,
  labelSelectorSchema,
  matchesLabelSelector,
  type LabelSelector,
} from './label-selector.js';
import { validate } from './schema-validate.js';

const schema = labelSelectorSchema({ description: 'Which clusters.', what: 'cluster' });

function parse(input: unknown): LabelSelector {
  const r = validate(schema, input, 'sel');
  if (r.kind !== 'ok') throw new Error(r.problems.join('\n'));
  return r.value;
}

const store = { region: 'eu', tier: 'edge', 'topology.kubernetes.io/zone': 'eu-1a' };

describe('matchesLabelSelector', () => {
  it('selects everything with an empty selector, as Kubernetes does', () => {
    expect(matchesLabelSelector(parse({}), store)).toBe(true);
    expect(matchesLabelSelector(parse({}), undefined)).toBe(true);
  });

  it('needs every matchLabels entry and every expression to hold', () => {
    const sel = parse({
      matchLabels: { region: 'eu' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge', 'core'] }],
    });
    expect(matchesLabelSelector(sel, store)).toBe(true);
    expect(matchesLabelSelector(sel, { ...store, tier: 'lab' })).toBe(false);
    expect(matchesLabelSelector(sel, { tier: 'edge' })).toBe(false);
  });

  it('lets NotIn and DoesNotExist hold for an absent label, and In and Exists not', () => {
    const expr = (operator: string, values?: string[]) =>
      parse({ matchExpressions: [{ key: 'canary', operator, ...(values ? { values } : {}) }] });
    expect(matchesLabelSelector(expr('NotIn', ['true']), store)).toBe(true);
    expect(matchesLabelSelector(expr('DoesNotExist'), store)).toBe(true);
    expect(matchesLabelSelector(expr('In', ['true']), store)).toBe(false);
    expect(matchesLabelSelector(expr('Exists'), store)).toBe(false);
    expect(matchesLabelSelector(expr('NotIn', ['true']), { canary: 'true' })).toBe(false);
    expect(matchesLabelSelector(expr('Exists'), { canary: '' })).toBe(true);
  });

  it('never finds a label on Object.prototype: Exists constructor does not match a bare cluster', () => {
    const sel = parse({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] });
    expect(matchesLabelSelector(sel, {})).toBe(false);
    const dne = parse({ matchExpressions: [{ key: 'toString', operator: 'DoesNotExist' }] });
    expect(matchesLabelSelector(dne, {})).toBe(true);
  });
});

describe('labelSelectorProblems', () => {
  it('names the field path of a bad key, a missing In value and a value given to Exists', () => {
    const sel = parse({
      matchLabels: { 'bad key': 'x', 'app.kubernetes.io/name': 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: [] },
        { key: 'tier', operator: 'Exists', values: ['edge'] },
        { key: '-x', operator: 'DoesNotExist' },
      ],
    });
    expect(labelSelectorProblems(sel, 'spec.placement.clusterSelector')).toEqual([
      'spec.placement.clusterSelector.matchLabels["bad key"]: expected a label key: at most 63 letters, digits, -, _ and . (after an optional prefix/), starting and ending with a letter or digit',
      'spec.placement.clusterSelector.matchExpressions[0].values: In needs at least one value',
      'spec.placement.clusterSelector.matchExpressions[1].values: must be empty for Exists',
      'spec.placement.clusterSelector.matchExpressions[2].key: expected a label key: at most 63 letters, digits, -, _ and . (after an optional prefix/), starting and ending with a letter or digit',
    ]);
  });

  it('leaves the schema to refuse bad values and unknown operators, with their paths', () => {
    const r = validate(
      schema,
      { matchLabels: { a: 'has space' }, matchExpressions: [{ key: 'a', operator: 'Like' }] },
      'sel',
    );
    expect(r.kind === 'invalid' && r.problems).toEqual([
      'sel.matchLabels["a"]: expected a label value: letters, digits, -, _ and ., starting and ending with a letter or digit',
      'sel.matchExpressions[0].operator: expected one of In, NotIn, Exists, DoesNotExist',
    ]);
  });
});

describe('labelKeyProblem', () => {
  it('accepts qualified names and refuses a bad prefix or a name over 63 characters', () => {
    for (const ok of ['region', 'topology.kubernetes.io/zone', 'a_b.c-d', 'A1'])
      expect(labelKeyProblem(ok), ok).toBeUndefined();
    for (const bad of ['', '/x', 'Upper.Case/x', 'x/', 'a'.repeat(64), 'a/b/c', 'x_'])
      expect(labelKeyProblem(bad), bad).toBeDefined();
  });
});
