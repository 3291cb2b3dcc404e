import { describe, expect, it } from 'vitest';
import { parseIgnoreRules, ruleMatches } from './ignore-rules.js';
import { formatPointer, parsePointer } from './pointer.js';

describe('parseIgnoreRules', () => {
  it('reads pointer and manager rules as an Application spec writes them', () => {
    const result = parseIgnoreRules([
      { group: 'apps', kind: 'Deployment', name: 'api', jsonPointers: ['/spec/replicas'] },
      { kind: 'Service', managedFieldsManagers: ['mesh-injector'] },
    ]);
    expect(result).toEqual({
      kind: 'ok',
      value: [
        {
          type: 'jsonPointers',
          match: { group: 'apps', kind: 'Deployment', name: 'api' },
          pointers: ['/spec/replicas'],
        },
        {
          type: 'managedFieldsManagers',
          match: { group: '', kind: 'Service' },
          managers: ['mesh-injector'],
        },
      ],
    });
  });

  it('refuses malformed rules with the index of the bad one', () => {
    expect(parseIgnoreRules({})).toMatchObject({ kind: 'invalid' });
    expect(parseIgnoreRules([{ kind: 'Deployment', jsonPointers: ['spec/replicas'] }])).toEqual({
      kind: 'invalid',
      problem:
        'ignoreDifferences[0]: jsonPointers: JSON pointer "spec/replicas" must start with "/"',
    });
    expect(parseIgnoreRules([{ kind: 'X', jsonPointers: [''] }])).toMatchObject({
      kind: 'invalid',
    });
    expect(parseIgnoreRules([{ kind: 'X' }])).toMatchObject({ kind: 'invalid' });
    expect(
      parseIgnoreRules([{ kind: 'X', jsonPointers: [], managedFieldsManagers: [] }]),
    ).toMatchObject({ kind: 'invalid' });
    expect(parseIgnoreRules([{ jsonPointers: ['/a'] }])).toMatchObject({ kind: 'invalid' });
    expect(parseIgnoreRules([{ kind: 'X', managedFieldsManagers: [''] }])).toMatchObject({
      kind: 'invalid',
    });
  });

  it('matches any group or kind with "*"', () => {
    const rule = {
      type: 'jsonPointers' as const,
      match: { group: '*', kind: '*', namespace: 'web' },
      pointers: [],
    };
    expect(
      ruleMatches(rule, { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'a' }),
    ).toBe(true);
    expect(
      ruleMatches(rule, { group: 'apps', kind: 'Deployment', namespace: 'db', name: 'a' }),
    ).toBe(false);
  });
});

describe('JSON pointers', () => {
  it('round-trips tokens with "/" and "~"', () => {
    const pointer = formatPointer(['metadata', 'annotations', 'a/b~c']);
    expect(pointer).toBe('/metadata/annotations/a~1b~0c');
    expect(parsePointer(pointer)).toEqual({
      kind: 'ok',
      tokens: ['metadata', 'annotations', 'a/b~c'],
    });
    expect(parsePointer('/a~2')).toMatchObject({ kind: 'invalid' });
  });
});
