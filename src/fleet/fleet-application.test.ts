import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ApplicationSpec } from '../api/application.js';
import {
  parseFleetApplication,
  type FleetApplication,
  type FleetApplicationStatus,
} from './fleet-application.js';
import type { FleetTemplate } from './template.js';

const fleetApp = (spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'FleetApplication',
  metadata: { name: 'pos', namespace: 'retail' },
  spec: {
    template: {
      source: { repoURL: 'https://git.example.com/pos.git', path: 'deploy' },
      destination: { namespace: 'pos' },
      verification: { mode: 'all', secretRef: { name: 'pos-keys' } },
    },
    placement: { clusterSelector: { matchLabels: { tier: 'store' } } },
    ...spec,
  },
});

function ok(input: unknown): FleetApplication {
  const r = parseFleetApplication(input);
  if (r.kind !== 'ok') throw r.error;
  return r.value;
}

function problems(input: unknown): string[] {
  const r = parseFleetApplication(input);
  if (r.kind === 'ok') throw new Error('expected the FleetApplication to be refused');
  return [...r.error.problems];
}

describe('parseFleetApplication', () => {
  it("accepts a template, placement and values, and defaults the template as an Application's spec", () => {
    const app = ok(
      fleetApp({
        values: [
          { clusterSelector: {}, variables: { replicas: '2' } },
          { clusterSelector: { matchLabels: { size: 'large' } }, variables: { replicas: '4' } },
        ],
      }),
    );
    expect(app.spec.template).toEqual({
      source: {
        repoURL: 'https://git.example.com/pos.git',
        targetRevision: 'main',
        path: 'deploy',
      },
      destination: { namespace: 'pos' },
      syncPolicy: {
        drift: 'heal',
        interval: '3m',
        retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
        syncOptions: { createNamespace: false, adopt: false, forceRecreate: false },
        pruneOnDelete: false,
      },
      verification: { mode: 'all', secretRef: { name: 'pos-keys' }, fastForwardOnly: true },
    });
    expect(app.spec.values?.[1]?.variables).toEqual({ replicas: '4' });
  });

  it('refuses destination.cluster inside a template, saying placement picks the clusters', () => {
    const input = fleetApp();
    const spec = input['spec'] as { template: { destination: Record<string, unknown> } };
    spec.template.destination['cluster'] = 'store-1';
    expect(problems(input)).toEqual([
      'spec.template.destination.cluster: not allowed in a template; spec.placement picks the clusters',
    ]);
  });

  it("reports a bad template field with the same path and words as an Application's", () => {
    expect(
      problems(
        fleetApp({
          template: {
            source: {
              repoURL: 'https://git.example.com/pos.git',
              path: '../other',
              helm: {},
              kustomize: {},
            },
            destination: { namespace: 'pos' },
            syncPolicy: { drift: 'sometimes' },
            ignoreDifferences: [
              { kind: 'Deployment', jsonPointers: ['/a'], managedFieldsManagers: ['x'] },
            ],
          },
        }),
      ),
    ).toEqual([
      'spec.template.source.path: expected a relative path inside the repository, such as apps/web (no leading /, no .. segments)',
      'spec.template.source: set at most one of kustomize, helm',
      'spec.template.syncPolicy.drift: expected one of heal, warn, ignore',
      'spec.template.ignoreDifferences[0]: set exactly one of jsonPointers, managedFieldsManagers',
    ]);
  });

  it('names the field path of a bad cluster name', () => {
    expect(problems(fleetApp({ placement: { clusterNames: ['store-1', 'Store_1'] } }))).toEqual([
      'spec.placement.clusterNames[1]: expected a Cluster name: a DNS label of at most 47 characters',
    ]);
  });

  it('names the field path of a bad selector and bad variable names, once the shape is right', () => {
    expect(
      problems(
        fleetApp({
          placement: {
            clusterSelector: { matchExpressions: [{ key: 'tier', operator: 'In' }] },
          },
          values: [
            {
              clusterSelector: { matchLabels: { 'bad key!': 'x' } },
              variables: { 'my-var': '1', cluster_name: 'spoofed', ok_1: 'fine' },
            },
          ],
        }),
      ),
    ).toEqual([
      'spec.placement.clusterSelector.matchExpressions[0].values: In needs at least one value',
      'spec.values[0].clusterSelector.matchLabels["bad key!"]: expected a label key: at most 63 letters, digits, -, _ and . (after an optional prefix/), starting and ending with a letter or digit',
      'spec.values[0].variables["my-var"]: expected a variable name: a letter or _, then letters, digits or _',
      'spec.values[0].variables["cluster_name"]: names starting with cluster_ are set from the Cluster; choose another name',
    ]);
  });

  it('requires a placement, and accepts an empty one, which selects no cluster', () => {
    const input = fleetApp();
    delete (input['spec'] as Record<string, unknown>)['placement'];
    expect(problems(input)).toEqual(['spec.placement: required']);
    expect(ok(fleetApp({ placement: {} })).spec.placement).toEqual({});
  });

  it('refuses more than 10 failing clusters in status, and two entries for one cluster', () => {
    const failing = Array.from({ length: 11 }, (_, i) => ({
      cluster: `c${i}`,
      reason: 'HeartbeatMissed',
      message: '',
    }));
    const entry = { name: 'c1', sync: 'Synced', health: 'Healthy' };
    expect(problems({ ...fleetApp(), status: { failing, clusters: [entry, entry] } })).toEqual([
      'status.failing: must have at most 10 items',
      'status.clusters[1]: duplicate entry with name="c1"',
    ]);
  });
});

describe('the FleetApplication type', () => {
  it("reuses the Application's source, syncPolicy and verification types", () => {
    expectTypeOf<FleetTemplate['source']>().toEqualTypeOf<ApplicationSpec['source']>();
    expectTypeOf<FleetTemplate['syncPolicy']>().toEqualTypeOf<ApplicationSpec['syncPolicy']>();
    expectTypeOf<FleetTemplate['verification']>().toEqualTypeOf<ApplicationSpec['verification']>();
    expectTypeOf<FleetTemplate['destination']>().toEqualTypeOf<{ namespace: string }>();
    expectTypeOf<
      NonNullable<FleetApplicationStatus['summary']>['failing']
    >().toEqualTypeOf<number>();
  });
});
