import { describe, expect, it } from 'vitest';
import { hubManifests } from './manifests.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

describe('hubManifests', () => {
  const objects = hubManifests('fleet-x');
  const role = objects.find((o) => o.kind === 'ClusterRole') as unknown as { rules: Rule[] };

  it('installs the three fleet CRDs first, then the fleet namespace, the ServiceAccount bound to the hub and registrar roles, the policies keeping it from requesting certificates and from granting rights beyond registered clusters, and the registration account', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'CustomResourceDefinition/clusters.ballast.dev',
      'CustomResourceDefinition/fleetapplications.ballast.dev',
      'CustomResourceDefinition/assignments.ballast.dev',
      'Namespace/fleet-x',
      'ServiceAccount/ballast-hub',
      'ClusterRole/ballast-hub',
      'ClusterRoleBinding/ballast-hub',
      'ClusterRole/ballast-hub-registrar',
      'ClusterRoleBinding/ballast-hub-registrar',
      'ValidatingAdmissionPolicy/ballast-hub-creates-no-csr.fleet-x',
      'ValidatingAdmissionPolicyBinding/ballast-hub-creates-no-csr.fleet-x',
      'ValidatingAdmissionPolicy/ballast-hub-rbac-of-clusters-only.fleet-x',
      'ValidatingAdmissionPolicyBinding/ballast-hub-rbac-of-clusters-only.fleet-x',
      'ValidatingAdmissionPolicy/ballast-hub-binds-cluster-users-only.fleet-x',
      'ValidatingAdmissionPolicyBinding/ballast-hub-binds-cluster-users-only.fleet-x',
      'ServiceAccount/ballast-registrar',
      'ClusterRole/ballast-registrar:fleet-x',
      'ClusterRoleBinding/ballast-registrar:fleet-x',
    ]);
    for (const name of ['ballast-hub', 'ballast-hub-registrar']) {
      const binding = objects.find(
        (o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === name,
      ) as unknown as { subjects: unknown[] };
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'ballast-hub', namespace: 'fleet-x' },
      ]);
    }
  });

  it('grants no wildcard, no Secrets and no write to anything but the fleet kinds, namespaces and Events', () => {
    const all = role.rules.flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs]);
    expect(all).not.toContain('*');
    expect(role.rules.flatMap((r) => r.resources)).not.toContain('secrets');
    const writes = role.rules
      .filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)))
      .flatMap((r) => r.resources)
      .sort();
    expect(writes).toEqual([
      'assignments',
      'clusters/status',
      'events',
      'fleetapplications',
      'fleetapplications/status',
      'namespaces',
    ]);
    const ns = role.rules.find((r) => r.resources.includes('namespaces'));
    expect(ns?.verbs).toEqual(['create']);
    const leases = role.rules.find((r) => r.resources.includes('leases'));
    expect(leases?.verbs).toEqual(['get', 'list', 'watch']);
  });
});
