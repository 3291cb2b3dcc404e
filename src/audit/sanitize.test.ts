import { describe, expect, it } from 'vitest';
import { objectChange, safePaths, sanitizeEntry, secretDataChanged } from './sanitize.js';
import type { DriftDetected, SafePath } from './types.js';

const secret = { group: '', kind: 'Secret', namespace: 'shop', name: 'db' };
const configMap = { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'db' };

describe('safePaths', () => {
  it('collapses every Secret data and stringData path into one "data changed"', () => {
    expect(
      safePaths(secret, ['/metadata/labels/tier', '/data/password', '/stringData/token', '/data']),
    ).toEqual(['/metadata/labels/tier', secretDataChanged]);
  });

  it('keeps ConfigMap data paths: only Secrets hold secrets', () => {
    expect(safePaths(configMap, ['/data/password'])).toEqual(['/data/password']);
  });

  it('does not mistake a sibling field that starts with "data" for Secret data', () => {
    expect(safePaths(secret, ['/dataVersion', '/type'])).toEqual(['/dataVersion', '/type']);
  });

  it('treats a Secret kind from another group as ordinary data', () => {
    const custom = { ...secret, group: 'example.com' };
    expect(safePaths(custom, ['/data/password'])).toEqual(['/data/password']);
  });

  it('is idempotent', () => {
    const once = safePaths(secret, ['/data/a', '/spec/x']);
    expect(safePaths(secret, once)).toEqual(once);
  });
});

describe('objectChange', () => {
  it('turns a ChangeSet entry for a Secret into paths without key names', () => {
    const change = objectChange({
      subject: secret,
      action: 'configure',
      changedPaths: ['/data/password', '/data/user'],
    });
    expect(change).toEqual({ ref: secret, action: 'configure', paths: ['data changed'] });
    expect(JSON.stringify(change)).not.toContain('password');
  });
});

describe('sanitizeEntry', () => {
  it('scrubs paths a caller forced past the types', () => {
    const forged: DriftDetected = {
      kind: 'drift-detected',
      app: { namespace: 'shop', name: 'web' },
      time: '2026-01-01T00:00:00.000Z',
      object: secret,
      paths: ['/data/password' as SafePath],
      fieldManager: 'kubectl-edit',
    };
    expect(sanitizeEntry(forged).paths).toEqual([secretDataChanged]);
  });
});
