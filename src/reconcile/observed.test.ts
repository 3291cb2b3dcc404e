import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { ObservedApp } from './observed.js';

const ballastFields = { 'f:spec': { 'f:replicas': {}, 'f:template': {} } };

/** A Deployment as the apiserver returns it, with Ballast's apply entry and maybe others. */
function deployment(
  rv: string,
  opts: { fields?: object; others?: object[]; status?: object; generation?: number } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      resourceVersion: rv,
      generation: opts.generation ?? 1,
      managedFields: [
        { manager: 'ballast', operation: 'Apply', fieldsV1: opts.fields ?? ballastFields },
        ...(opts.others ?? []),
      ],
    },
    spec: { replicas: 0 },
    ...(opts.status === undefined ? {} : { status: opts.status }),
  };
}

const observedStatus = { observedGeneration: 1, replicas: 0, updatedReplicas: 0 };
const resource = {
  group: 'apps',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
  status: 'Synced' as const,
};

describe('ObservedApp', () => {
  it('follows the health a status update by another controller reports', () => {
    const o = new ObservedApp();
    o.stored(deployment('10'));
    expect(o.healthOf([resource]).status).toBe('Progressing');
    expect(o.event('MODIFIED', deployment('11', { status: observedStatus }))).toBe(true);
    expect(o.healthOf([resource]).status).toBe('Healthy');
    expect(o.event('MODIFIED', deployment('12', { status: observedStatus }))).toBe(false);
  });

  it('keeps status updates the watch delivered before the apply answer that created the object', () => {
    const o = new ObservedApp();
    expect(o.event('ADDED', deployment('10'))).toBe(false);
    o.event('MODIFIED', deployment('11', { status: observedStatus }));
    o.stored(deployment('10'));
    expect(o.healthOf([resource]).status).toBe('Healthy');
  });

  it('keeps the newer view when an event is older than the apply answer', () => {
    const o = new ObservedApp();
    o.stored(deployment('20', { status: observedStatus }));
    o.event('MODIFIED', deployment('19'));
    expect(o.healthOf([resource]).status).toBe('Healthy');
  });

  it('reports a deleted object Missing and asks for a check', () => {
    const o = new ObservedApp();
    o.stored(deployment('10', { status: observedStatus }));
    expect(o.event('DELETED', deployment('10'))).toBe(true);
    expect(o.healthOf([resource]).status).toBe('Missing');
  });

  it('offers a health update only when health moved since status was written', () => {
    const o = new ObservedApp();
    o.stored(deployment('10'));
    const first = o.healthOf([resource]);
    const own = [...first.byObject.values()][0];
    expect(o.healthWritten()).toBeUndefined();
    o.wrote([{ ...resource, ...(own === undefined ? {} : { health: own }) }], first);
    expect(o.healthWritten()).toBe('Progressing');
    expect(o.healthUpdate()).toBeUndefined();
    o.event('MODIFIED', deployment('11', { status: observedStatus }));
    const update = o.healthUpdate();
    expect(update?.health.status).toBe('Healthy');
    // What was last written, by a pass or an update: a turn to Degraded is announced once.
    expect(o.healthWritten()).toBe('Healthy');
    expect(update?.resources[0]?.health?.status).toBe('Healthy');
    expect(o.healthUpdate()).toBeUndefined();
  });

  it('leaves an entry being pruned out of a health-only update', () => {
    const o = new ObservedApp();
    o.stored(deployment('10', { status: observedStatus }));
    const pruned = {
      ...resource,
      kind: 'ConfigMap',
      group: '',
      name: 'old',
      status: 'OutOfSync' as const,
    };
    const h = o.healthOf([resource]);
    o.wrote([{ ...resource, health: [...h.byObject.values()][0] ?? h }, pruned], h);
    o.event('MODIFIED', deployment('11', { status: { ...observedStatus, replicas: 1 } }));
    expect(o.healthUpdate()?.health.status).not.toBe('Missing');
  });
});
