import { describe, expect, it } from 'vitest';
import { agentManifests } from './manifests.js';

describe('agentManifests', () => {
  it('in namespace mode grants a Role in that namespace and nothing cluster-wide', () => {
    const objects = agentManifests({ scope: 'namespace', namespace: 'tenant-a' });
    expect(
      objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`),
    ).toEqual([
      'ServiceAccount/tenant-a/ballast-agent',
      'Role/tenant-a/ballast-agent',
      'RoleBinding/tenant-a/ballast-agent',
    ]);
  });

  it('in cluster mode creates the namespace and binds its own role and the applier role', () => {
    const objects = agentManifests();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/ballast-agent',
      'ServiceAccount/ballast-agent',
      'ClusterRole/ballast-agent',
      'ClusterRole/ballast-agent-applier',
      'ClusterRoleBinding/ballast-agent',
      'ClusterRoleBinding/ballast-agent-applier',
    ]);
    expect(objects[3]?.metadata.annotations?.['ballast.dev/rationale']).toMatch(/namespace mode/);
  });
});
