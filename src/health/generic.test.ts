import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { assessHealth } from './assess.js';
import customList from './testdata/custom-resources.json' with { type: 'json' };
import { itemsByName } from './testdata/fixtures.js';

const custom = itemsByName(customList);

describe('health of kinds without their own rules', () => {
  it('reports a custom resource with Ready True Healthy, with its message', () => {
    expect(assessHealth(custom('shop-cert'))).toEqual({
      status: 'Healthy',
      message: 'Certificate is up to date and has not expired',
    });
  });

  it('reports Ready False as Progressing: failure that will not heal is what Stalled is for', () => {
    expect(assessHealth(custom('shop-cert-issuing'))).toEqual({
      status: 'Progressing',
      message: 'not ready: DoesNotExist: Issuing certificate as Secret does not exist',
    });
  });

  it('reports a resource whose controller has not seen the new generation Progressing', () => {
    expect(assessHealth(custom('shop-cert-unobserved'))).toEqual({
      status: 'Progressing',
      message: 'waiting for the controller to observe generation 3',
    });
  });

  it('reports Stalled True Degraded', () => {
    const report = assessHealth(custom('infra'));
    expect(report.status).toBe('Degraded');
    expect(report.message).toMatch(/^stalled: BuildFailed: /);
  });

  it('reports Reconciling True Progressing', () => {
    expect(assessHealth(custom('apps')).status).toBe('Progressing');
  });

  it('reports Ready Unknown as Unknown', () => {
    expect(assessHealth(custom('gear')).status).toBe('Unknown');
  });

  it('reports objects without status, like ConfigMaps and ClusterRoles, Healthy', () => {
    expect(assessHealth(custom('settings'))).toEqual({ status: 'Healthy', message: 'exists' });
    expect(assessHealth(custom('shop-reader')).status).toBe('Healthy');
  });

  it('never throws on malformed status', () => {
    const odd: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'odd', generation: 'two' },
      status: {
        conditions: [null, 'Ready', { type: 'Ready', status: 'yes' }],
        observedGeneration: {},
      },
    };
    expect(assessHealth(odd)).toEqual({ status: 'Healthy', message: 'exists' });
    expect(
      assessHealth({ ...odd, apiVersion: 'apps/v1', kind: 'Deployment', status: 7 }).status,
    ).toBe('Progressing');
  });
});
