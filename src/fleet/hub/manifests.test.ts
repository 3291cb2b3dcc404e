import { describe, expect, it } from 'vitest';
import { hubManifests } from './manifests.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

describe('hubManifests', () => {
  const objects = hubManifests('fleet-x');
  const role = objects.find((o) => o.kind === 'ClusterRole') as unknown as { rules: Rule[] };
  const viewer = objects.find((o) => o.metadata.name === 'ballast-fleet-viewer') as unknown as {
    rules: Rule[];
  };

  it('installs the three fleet CRDs first, then the fleet namespace, the ServiceAccount bound to the hub, Lease and registrar roles, the policies keeping it from requesting certificates and from granting rights beyond registered clusters, the registration account, the viewer role and the policy holding rollout requesters to the real user', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'CustomResourceDefinition/clusters.ballast.dev',
      'CustomResourceDefinition/fleetapplications.ballast.dev',
      'CustomResourceDefinition/assignments.ballast.dev',
      'Namespace/fleet-x',
      'ServiceAccount/ballast-hub',
      'ClusterRole/ballast-hub',
      'ClusterRoleBinding/ballast-hub',
      'Role/ballast-hub-leader-election',
      'RoleBinding/ballast-hub-leader-election',
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
      'ClusterRole/ballast-fleet-viewer',
      'ValidatingAdmissionPolicy/ballast-fleet-requested-by',
      'ValidatingAdmissionPolicyBinding/ballast-fleet-requested-by',
    ]);
    for (const name of ['ballast-hub', 'ballast-hub-registrar', 'ballast-hub-leader-election']) {
      const binding = objects.find(
        (o) => o.kind.endsWith('Binding') && o.metadata.name === name,
      ) as unknown as { subjects: unknown[] };
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'ballast-hub', namespace: 'fleet-x' },
      ]);
    }
  });

  it("lets the hub's replicas hold their own Lease, in the fleet namespace only, and update no other", () => {
    const lease = objects.find((o) => o.kind === 'Role') as unknown as {
      metadata: { namespace: string };
      rules: Rule[];
    };
    expect(lease.metadata.namespace).toBe('fleet-x');
    expect(lease.rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['ballast-hub'],
        verbs: ['get', 'update'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
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
    // Only the agents' Leases: the hub watches them by name.
    expect(leases?.resourceNames).toEqual(['ballast-agent']);
  });

  it("lets the fleet's operators read Clusters, FleetApplications and Assignments, and nothing else", () => {
    expect(viewer.rules).toEqual([
      {
        apiGroups: ['ballast.dev'],
        resources: ['clusters', 'fleetapplications', 'assignments'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
  });
});
