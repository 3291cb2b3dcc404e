import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { ObservedApp, ownedFingerprint } from './observed.js';

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
  it('needs no drift check for a status update by another controller, and follows its health', () => {
    const o = new ObservedApp();
    o.stored(deployment('10'));
    expect(o.healthOf([resource]).status).toBe('Progressing');
    const statusUpdate = deployment('11', {
      status: observedStatus,
      others: [{ manager: 'kube-controller-manager', operation: 'Update', subresource: 'status' }],
    });
    expect(o.event('MODIFIED', statusUpdate)).toEqual({ check: false, healthChanged: true });
    expect(o.healthOf([resource]).status).toBe('Healthy');
  });

  it("asks for a drift check when kubectl took a field from Ballast's apply", () => {
    const o = new ObservedApp();
    o.stored(deployment('10'));
    const scaled = deployment('12', {
      fields: { 'f:spec': { 'f:template': {} } },
      others: [{ manager: 'kubectl', operation: 'Update', subresource: 'scale' }],
    });
    expect(o.event('MODIFIED', scaled).check).toBe(true);
    expect(o.confirmed(scaled)).toBe(false);
  });

  it('asks for a drift check of an object it has not seen stored yet', () => {
    const o = new ObservedApp();
    expect(o.event('ADDED', deployment('10')).check).toBe(true);
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
    expect(o.event('DELETED', deployment('10'))).toEqual({ check: true, healthChanged: true });
    expect(o.healthOf([resource]).status).toBe('Missing');
  });

  it('offers a health update only when health moved since status was written', () => {
    const o = new ObservedApp();
    o.stored(deployment('10'));
    const first = o.healthOf([resource]);
    const own = [...first.byObject.values()][0];
    o.wrote([{ ...resource, ...(own === undefined ? {} : { health: own }) }], first);
    expect(o.healthUpdate()).toBeUndefined();
    o.event('MODIFIED', deployment('11', { status: observedStatus }));
    const update = o.healthUpdate();
    expect(update?.health.status).toBe('Healthy');
    expect(update?.resources[0]?.health?.status).toBe('Healthy');
    expect(o.healthUpdate()).toBeUndefined();
  });

  it('fingerprints only the fields of Ballast’s own apply', () => {
    const a = deployment('1');
    const b = deployment('2', { others: [{ manager: 'kubectl', operation: 'Update' }] });
    expect(ownedFingerprint(a)).toBe(ownedFingerprint(b));
    expect(ownedFingerprint(deployment('3', { fields: {} }))).not.toBe(ownedFingerprint(a));
  });
});
