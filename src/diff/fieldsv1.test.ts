import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { fieldsOwnedBy, removeOwned } from './fieldsv1.js';

function withManagedFields(entries: unknown[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', managedFields: entries } };
}

describe('fieldsOwnedBy and removeOwned', () => {
  it('removes keyed list items, set values and fields a manager owns as a whole', () => {
    const live = withManagedFields([
      {
        manager: 'mesh-injector',
        operation: 'Update',
        fieldsV1: {
          'f:metadata': { 'f:finalizers': { 'v:"mesh.example.com/cleanup"': {} } },
          'f:spec': {
            'f:ports': { 'k:{"port":15090,"protocol":"TCP"}': {} },
            'f:sessionAffinity': {},
          },
        },
      },
    ]);
    const owned = fieldsOwnedBy(live, ['mesh-injector']);
    expect(owned.kind).toBe('ok');
    if (owned.kind !== 'ok') return;
    const value = {
      metadata: { finalizers: ['example.com/keep', 'mesh.example.com/cleanup'] },
      spec: {
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
          { name: 'metrics', port: 15090, protocol: 'TCP', targetPort: 15090 },
        ],
        sessionAffinity: 'None',
        type: 'ClusterIP',
      },
    };
    removeOwned(value, owned.node);
    expect(value).toEqual({
      metadata: { finalizers: ['example.com/keep'] },
      spec: {
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
        type: 'ClusterIP',
      },
    });
  });

  it('merges the entries of several managers and ignores the others', () => {
    const live = withManagedFields([
      { manager: 'a', fieldsV1: { 'f:spec': { 'f:x': {} } } },
      { manager: 'b', fieldsV1: { 'f:spec': { 'f:y': {} } } },
      { manager: 'ballast', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:z': {} } } },
    ]);
    const owned = fieldsOwnedBy(live, ['a', 'b']);
    if (owned.kind !== 'ok') throw new Error(owned.problem);
    const value = { spec: { x: 1, y: 2, z: 3 } };
    removeOwned(value, owned.node);
    expect(value).toEqual({ spec: { z: 3 } });
  });

  it('drops containers the removal emptied, but not ones that were empty already', () => {
    const live = withManagedFields([
      { manager: 'a', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } } } },
    ]);
    const owned = fieldsOwnedBy(live, ['a']);
    if (owned.kind !== 'ok') throw new Error(owned.problem);
    const value = { metadata: { labels: { x: '1' }, annotations: {} } };
    removeOwned(value, owned.node);
    expect(value).toEqual({ metadata: { annotations: {} } });
  });

  it('refuses malformed fieldsV1 with the place it went wrong', () => {
    const bad = (fieldsV1: unknown) =>
      fieldsOwnedBy(withManagedFields([{ manager: 'a', fieldsV1 }]), ['a']);
    expect(bad({ 'f:spec': { 'k:{not json': {} } })).toEqual({
      kind: 'invalid',
      problem: 'managedFields[0].fieldsV1.f:spec: bad key fields in "k:{not json"',
    });
    expect(bad({ 'i:x': {} })).toMatchObject({ kind: 'invalid' });
    expect(bad('f:spec')).toMatchObject({ kind: 'invalid' });
    expect(fieldsOwnedBy(withManagedFields([42]), ['a'])).toMatchObject({ kind: 'invalid' });
  });
});
