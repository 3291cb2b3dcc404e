import { describe, expect, it } from 'vitest';
import { refusalAftermath } from './sync.js';

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
