import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/object.js';
import {
  defaultInstallOptions,
  InstallError,
  installManifests,
  kubectlName,
  toYaml,
} from './install.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const objects = installManifests(defaultInstallOptions());
const find = (kind: string, name: string): KubeObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`no ${kind}/${name}`);
  return o;
};
const rules = (o: KubeObject): Rule[] => o['rules'] as Rule[];

describe('ballast install manifests', () => {
  it('start with the CRD, then the namespace, and end with the Deployment', () => {
    expect(objects.map(kubectlName)).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/applications.ballast.dev',
      'namespace/ballast-system',
      'serviceaccount/ballast-controller',
      'clusterrole.rbac.authorization.k8s.io/ballast-controller',
      'clusterrole.rbac.authorization.k8s.io/ballast-applier',
      'clusterrolebinding.rbac.authorization.k8s.io/ballast-controller',
      'clusterrolebinding.rbac.authorization.k8s.io/ballast-applier',
      'role.rbac.authorization.k8s.io/ballast-leader-election',
      'rolebinding.rbac.authorization.k8s.io/ballast-leader-election',
      'service/ballast-controller',
      'deployment.apps/ballast-controller',
    ]);
  });

  it('put every namespaced object in the chosen namespace and bind the roles to its ServiceAccount', () => {
    const custom = installManifests({ ...defaultInstallOptions(), namespace: 'gitops' });
    for (const o of custom) {
      if (['ServiceAccount', 'Role', 'RoleBinding', 'Service', 'Deployment'].includes(o.kind))
        expect(o.metadata.namespace, kubectlName(o)).toBe('gitops');
      if (o.kind.endsWith('Binding'))
        expect(o['subjects']).toEqual([
          { kind: 'ServiceAccount', name: 'ballast-controller', namespace: 'gitops' },
        ]);
    }
  });

  it("give the controller's own role only what it needs, with secrets readable but not listable", () => {
    expect(rules(find('ClusterRole', 'ballast-controller'))).toEqual([
      {
        apiGroups: ['ballast.dev'],
        resources: ['applications'],
        verbs: ['get', 'list', 'watch', 'patch'],
      },
      { apiGroups: ['ballast.dev'], resources: ['applications/status'], verbs: ['get', 'patch'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    expect(rules(find('Role', 'ballast-leader-election'))).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update'],
      },
    ]);
  });

  it('grant the applier everything in a separate role that says why on itself', () => {
    const applier = find('ClusterRole', 'ballast-applier');
    expect(rules(applier)).toEqual([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
    expect(applier.metadata.annotations?.['ballast.dev/rationale']).toMatch(
      /cluster-admin-equivalent.*Flux.*Argo CD.*delete the ballast-applier ClusterRoleBinding/s,
    );
  });

  it('run two locked-down replicas of `ballast controller` with probes on port 8080', () => {
    const d = find('Deployment', 'ballast-controller') as KubeObject & {
      spec: { replicas: number; template: { spec: Record<string, unknown> } };
    };
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod).toMatchObject({
      serviceAccountName: 'ballast-controller',
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    });
    expect((pod['containers'] as unknown[])[0]).toMatchObject({
      image: 'ballast:dev',
      command: ['ballast', 'controller'],
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      securityContext: {
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
    });
    expect(find('Service', 'ballast-controller')['spec']).toMatchObject({
      ports: [{ name: 'http', port: 8080, targetPort: 'http' }],
    });
  });

  it('print as multi-document YAML that reads back to the same objects', () => {
    const docs = parseAllDocuments(toYaml(objects));
    expect(Array.isArray(docs)).toBe(true);
    expect((docs as { toJS(): unknown }[]).map((d) => d.toJS())).toEqual(objects);
  });
});

describe('InstallError', () => {
  it('names the object, says how far the install got, and keeps the cause', () => {
    const cause = new Error('422 Invalid');
    const e = new InstallError('service/ballast-controller', 9, cause);
    expect(e.message).toMatch(
      /^service\/ballast-controller: not installed: 422 Invalid \(9 object\(s\) before it were applied; install is idempotent/,
    );
    expect(e.cause).toBe(cause);
  });
});
