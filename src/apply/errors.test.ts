import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../cluster/errors.js';
import { groupedErrors, refusal, SyncObjectError } from './errors.js';

const cm = (name: string): { group: string; kind: string; namespace: string; name: string } => ({
  group: '',
  kind: 'ConfigMap',
  namespace: 'web',
  name,
});
const at = (file: string): { file: string; line: number } => ({ file, line: 1 });

describe('errors as people read them', () => {
  it('names a missing namespace and both ways out, instead of the apiserver 404', () => {
    const e = KubeApiError.from(
      cm('a'),
      'apply',
      404,
      JSON.stringify({
        kind: 'Status',
        reason: 'NotFound',
        message: 'namespaces "web" not found',
        details: { name: 'web', kind: 'namespaces' },
        code: 404,
      }),
    );
    expect(refusal(e)).toBe(
      'namespace "web" does not exist: create it, or let the sync create it ' +
        '(`ballast sync --create-namespace`, or spec.syncPolicy.syncOptions.createNamespace: true)',
    );
  });

  it('keeps any other refusal as the apiserver put it', () => {
    const e = new KubeApiError(cm('a'), 'apply', 422, 'Invalid', 'data: Invalid value');
    expect(refusal(e)).toBe('the apiserver refused it: 422 Invalid: data: Invalid value');
    expect(refusal(new Error('socket hang up'))).toBe('Error: socket hang up');
  });

  it('groups objects refused for one cause into one line naming the first five and the count', () => {
    const same = Array.from(
      { length: 7 },
      (_, i) => new SyncObjectError(cm(`c${i}`), at(`c${i}.yaml`), 'no room'),
    );
    const other = new SyncObjectError(cm('x'), undefined, 'too big');
    expect(groupedErrors([...same.slice(0, 3), other, ...same.slice(3)])).toEqual([
      '7 objects (ConfigMap/web/c0 (c0.yaml:1), ConfigMap/web/c1 (c1.yaml:1), ' +
        'ConfigMap/web/c2 (c2.yaml:1), ConfigMap/web/c3 (c3.yaml:1), ConfigMap/web/c4 (c4.yaml:1) ' +
        'and 2 more): no room',
      'ConfigMap/web/x: too big',
    ]);
  });

  it('leaves a single error as its own message', () => {
    const e = new SyncObjectError(cm('a'), at('a.yaml'), 'no room');
    expect(groupedErrors([e])).toEqual(['ConfigMap/web/a (a.yaml:1): no room']);
    expect(groupedErrors([])).toEqual([]);
  });
});
