import { describe, expect, it } from 'vitest';
import { UsageError } from './parse.js';
import { refusalAftermath } from './sync-output.js';
import { appOf, parseSubstitute, waitTimeoutMs } from './sync.js';

const cm = (name: string) => ({ group: '', kind: 'ConfigMap', namespace: 'web', name });

describe('refusalAftermath', () => {
  it('says nothing was changed only when nothing was', () => {
    expect(refusalAftermath({ namespaceCreated: undefined, rolledBack: [], leftBehind: [] })).toBe(
      'nothing was changed',
    );
  });

  it('names a kept namespace, the objects deleted again and those a rollback left behind', () => {
    expect(
      refusalAftermath({
        namespaceCreated: 'web',
        rolledBack: [cm('a'), cm('b'), cm('c')],
        leftBehind: [cm('d')],
      }),
    ).toBe(
      'namespace web was created and kept; 3 objects created by this sync were deleted again; ' +
        '1 object created by this sync could not be deleted and remains: ConfigMap/web/d',
    );
  });
});

describe('appOf', () => {
  it('a sync without --app is refused, saying why and to pass one, instead of sharing an inventory', () => {
    expect(() => appOf({})).toThrow(UsageError);
    expect(() => appOf({})).toThrow(
      /--app NAME is required: it names the inventory \(ConfigMap ballast-inventory-NAME\).*--prune.*e\.g\. --app web/,
    );
    expect(appOf({ app: 'web' })).toBe('web');
  });
});

describe('waitTimeoutMs', () => {
  it('waits --timeout after --wait; the deprecated --wait SECONDS counts unless --timeout is given', () => {
    expect(waitTimeoutMs({ timeout: 300_000 }, false)).toBeUndefined();
    expect(waitTimeoutMs({ wait: true, timeout: 300_000 }, false)).toBe(300_000);
    expect(waitTimeoutMs({ wait: true, timeout: 90_000 }, true)).toBe(90_000);
    expect(waitTimeoutMs({ wait: 120, timeout: 300_000 }, false)).toBe(120_000);
    expect(waitTimeoutMs({ wait: 120, timeout: 60_000 }, true)).toBe(60_000);
  });
});

describe('parseSubstitute', () => {
  it('collects --substitute name=value flags, a later one winning, and refuses a bad name', () => {
    const first = parseSubstitute('region=eu=west', undefined);
    expect(parseSubstitute('tier=gold', parseSubstitute('tier=silver', first))).toEqual({
      region: 'eu=west',
      tier: 'gold',
    });
    expect(() => parseSubstitute('cluster-name=x', undefined)).toThrow(/expected name=value/);
    expect(() => parseSubstitute('region', undefined)).toThrow(/expected name=value/);
  });
});
