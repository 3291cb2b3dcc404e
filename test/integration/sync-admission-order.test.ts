import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { refOf, type KubeObject } from '../../src/api/object.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { runCli } from '../support/cli.js';
import { clusterFor } from '../support/sync.js';
import { tempDirs } from '../support/temp.js';

const id = randomBytes(3).toString('hex');
const ns = `order-${id}`;
const group = `order-${id}.example.com`;
const policy = `widgets-${id}`;
let kubeconfig: string;
let cluster: Cluster;
const temp = tempDirs();

const crd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};
const vap: KubeObject = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: policy },
  spec: {
    failurePolicy: 'Fail',
    matchConstraints: {
      resourceRules: [
        {
          apiGroups: [group],
          apiVersions: ['v1'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['widgets'],
        },
      ],
    },
    validations: [{ expression: 'object.spec.size <= 5', message: 'size at most 5' }],
  },
};
const binding: KubeObject = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name: policy },
  spec: { policyName: policy, validationActions: ['Deny'] },
};
const widget: KubeObject = {
  apiVersion: `${group}/v1`,
  kind: 'Widget',
  metadata: { name: 'w' },
  spec: { size: 3 },
};
const configMap: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings' },
  data: { k: 'v' },
};

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  cluster = clusterFor(kubeconfig);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
// The policy, binding and CRD are cluster-wide: they go, so no other file meets them.
afterAll(async () => {
  for (const o of [binding, vap, crd])
    await cluster.delete({ ...refOf(o), apiVersion: o.apiVersion });
  await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', group: '', namespace: '', name: ns });
  cluster.close();
  await temp.removeAll();
});

/**
 * The etcd revision of the object's last write. The apiserver's own later writes (a policy's
 * type-checking status) only raise it.
 */
async function revision(o: KubeObject, namespace: string | undefined): Promise<number> {
  const live = await cluster.get({
    ...o,
    metadata: { ...o.metadata, ...(namespace === undefined ? {} : { namespace }) },
  });
  const rv = live?.metadata.resourceVersion;
  if (rv === undefined) throw new Error(`${o.kind}/${o.metadata.name} was not applied`);
  return Number(rv);
}

describe('admission policies are applied after what they judge', () => {
  it('a ValidatingAdmissionPolicy and its binding in a repo are applied in the last stage, after the CRD, its custom resource and the other objects', async () => {
    // Listed policy first, so the order cannot come from the files.
    const yaml = [binding, vap, widget, configMap, crd]
      .map((o) => JSON.stringify(o))
      .join('\n---\n');
    const repo = await temp.tree('ballast-order-', { 'app/all.yaml': yaml });
    const r = await runCli([
      'sync',
      '--dir',
      join(repo, 'app'),
      '--app',
      'order',
      '-n',
      ns,
      '--kubeconfig',
      kubeconfig,
    ]);
    expect(r.code).toBe(0);
    const stages = r.stderr.split('\n').filter((l) => l.startsWith('apply: '));
    expect(stages).toEqual([
      'apply: stage 0: 1 applied, 0 unchanged',
      'apply: stage 1: 2 applied, 0 unchanged',
      'apply: stage 2: 2 applied, 0 unchanged',
    ]);
    // Each stage's applies finish before the next begins, so every revision of a policy is
    // above every revision of what it judges.
    const judged = await Promise.all([
      revision(crd, undefined),
      revision(widget, ns),
      revision(configMap, ns),
    ]);
    const admission = await Promise.all([revision(vap, undefined), revision(binding, undefined)]);
    expect(Math.min(...admission)).toBeGreaterThan(Math.max(...judged));
  });
});
