import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { planBatches, waveOf } from './order.js';

const obj = (apiVersion: string, kind: string, name: string, wave?: string): KubeObject => ({
  apiVersion,
  kind,
  metadata: {
    name,
    ...(wave === undefined ? {} : { annotations: { 'ballast.dev/sync-wave': wave } }),
  },
});

const names = (objs: KubeObject[]): string[] => objs.map((o) => `${o.kind}/${o.metadata.name}`);

describe('planBatches', () => {
  it('applies CRDs, Namespaces and ClusterRoles before everything else', () => {
    const batches = planBatches([
      obj('monitoring.coreos.com/v1', 'Prometheus', 'k8s'),
      obj('apps/v1', 'Deployment', 'web'),
      obj(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        'prometheuses.monitoring.coreos.com',
      ),
      obj('v1', 'Namespace', 'monitoring'),
      obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
    ]);
    expect(batches.map((b) => b.stage)).toEqual([0, 1]);
    expect(names(batches[0]?.objects ?? [])).toEqual([
      'Namespace/monitoring',
      'CustomResourceDefinition/prometheuses.monitoring.coreos.com',
      'ClusterRole/reader',
    ]);
    expect(names(batches[1]?.objects ?? [])).toEqual(['Deployment/web', 'Prometheus/k8s']);
  });

  it('puts webhook configurations in a batch after every other object of their wave', () => {
    const batches = planBatches([
      obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'hook'),
      obj('v1', 'Service', 'hook-svc'),
      obj('apps/v1', 'Deployment', 'hook-server'),
    ]);
    expect(batches.map((b) => names(b.objects))).toEqual([
      ['Service/hook-svc', 'Deployment/hook-server'],
      ['ValidatingWebhookConfiguration/hook'],
    ]);
  });

  it('applies a ValidatingAdmissionPolicy and its binding after the CRDs and objects they judge, with the webhooks', () => {
    const batches = planBatches([
      obj('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding', 'no-latest'),
      obj('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'no-latest'),
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
      obj('example.com/v1', 'Widget', 'w'),
      obj('apps/v1', 'Deployment', 'web'),
      obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'hook'),
    ]);
    expect(batches.map((b) => [b.stage, ...names(b.objects)])).toEqual([
      [0, 'CustomResourceDefinition/widgets.example.com'],
      [1, 'Deployment/web', 'Widget/w'],
      [
        2,
        'ValidatingAdmissionPolicy/no-latest',
        'ValidatingAdmissionPolicyBinding/no-latest',
        'ValidatingWebhookConfiguration/hook',
      ],
    ]);
  });

  it('applies a MutatingAdmissionPolicy and its binding in the admission stage too', () => {
    const batches = planBatches([
      obj('admissionregistration.k8s.io/v1beta1', 'MutatingAdmissionPolicyBinding', 'labels'),
      obj('v1', 'ConfigMap', 'settings'),
      obj('admissionregistration.k8s.io/v1beta1', 'MutatingAdmissionPolicy', 'labels'),
    ]);
    expect(batches.map((b) => [b.stage, ...names(b.objects)])).toEqual([
      [1, 'ConfigMap/settings'],
      [2, 'MutatingAdmissionPolicy/labels', 'MutatingAdmissionPolicyBinding/labels'],
    ]);
  });

  it("applies a wave's admission policies after that wave's objects and before the next wave", () => {
    const batches = planBatches([
      obj('v1', 'ConfigMap', 'late', '1'),
      obj('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'early-policy'),
      obj('v1', 'ConfigMap', 'default'),
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'late.example.com', '1'),
    ]);
    expect(batches.map((b) => [b.stage, b.wave, ...names(b.objects)])).toEqual([
      [0, 1, 'CustomResourceDefinition/late.example.com'],
      [1, 0, 'ConfigMap/default'],
      [2, 0, 'ValidatingAdmissionPolicy/early-policy'],
      [1, 1, 'ConfigMap/late'],
    ]);
  });

  it('orders sync waves ascending, negative waves first, within a stage', () => {
    const batches = planBatches([
      obj('v1', 'ConfigMap', 'late', '5'),
      obj('v1', 'ConfigMap', 'default'),
      obj('v1', 'ConfigMap', 'early', '-1'),
    ]);
    expect(batches.map((b) => [b.wave, ...names(b.objects)])).toEqual([
      [-1, 'ConfigMap/early'],
      [0, 'ConfigMap/default'],
      [5, 'ConfigMap/late'],
    ]);
  });

  it('is stable whatever order the objects arrive in', () => {
    const objs = [
      obj('v1', 'Service', 'b'),
      obj('v1', 'Service', 'a'),
      obj('v1', 'ConfigMap', 'c'),
    ];
    expect(planBatches(objs)).toEqual(planBatches([...objs].reverse()));
  });
});

describe('waveOf', () => {
  it('rejects a sync wave that is not a whole number, quoting it', () => {
    expect(waveOf(obj('v1', 'ConfigMap', 'x', 'soon'))).toEqual({
      error: 'annotation ballast.dev/sync-wave must be a whole number, got "soon"',
    });
  });
});
