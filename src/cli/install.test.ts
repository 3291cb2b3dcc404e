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
import { defaultHubInstallOptions, hubInstallManifests } from './install-hub.js';

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
  it('start with the CRDs and the admission policy, then the namespace, and end with the StatefulSet', () => {
    expect(objects.map(kubectlName)).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/applications.ballast.dev',
      'customresourcedefinition.apiextensions.k8s.io/notificationpolicies.ballast.dev',
      'validatingadmissionpolicy.admissionregistration.k8s.io/ballast-requested-by',
      'validatingadmissionpolicybinding.admissionregistration.k8s.io/ballast-requested-by',
      'namespace/ballast-system',
      'serviceaccount/ballast-controller',
      'clusterrole.rbac.authorization.k8s.io/ballast-controller',
      'clusterrole.rbac.authorization.k8s.io/ballast-applier',
      'clusterrolebinding.rbac.authorization.k8s.io/ballast-controller',
      'clusterrolebinding.rbac.authorization.k8s.io/ballast-applier',
      'role.rbac.authorization.k8s.io/ballast-leader-election',
      'rolebinding.rbac.authorization.k8s.io/ballast-leader-election',
      'role.rbac.authorization.k8s.io/ballast-ledger-checkpoint',
      'rolebinding.rbac.authorization.k8s.io/ballast-ledger-checkpoint',
      'role.rbac.authorization.k8s.io/ballast-sealing-keys',
      'rolebinding.rbac.authorization.k8s.io/ballast-sealing-keys',
      'service/ballast-controller',
      'statefulset.apps/ballast-controller',
    ]);
  });

  it('put every namespaced object in the chosen namespace and bind the roles to its ServiceAccount', () => {
    const custom = installManifests({ ...defaultInstallOptions(), namespace: 'gitops' });
    for (const o of custom) {
      if (['ServiceAccount', 'Role', 'RoleBinding', 'Service', 'StatefulSet'].includes(o.kind))
        expect(o.metadata.namespace, kubectlName(o)).toBe('gitops');
      if (o.kind.endsWith('Binding') && !o.kind.startsWith('ValidatingAdmission'))
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
      {
        apiGroups: ['ballast.dev'],
        resources: ['notificationpolicies'],
        verbs: ['get', 'list', 'watch'],
      },
      {
        apiGroups: ['ballast.dev'],
        resources: ['notificationpolicies/status'],
        verbs: ['get', 'patch'],
      },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
        verbs: ['get'],
      },
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
    const d = find('StatefulSet', 'ballast-controller') as KubeObject & {
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
      command: ['ballast'],
      args: [
        'controller',
        '--metrics-bind-address',
        '0.0.0.0',
        '--leader-elect',
        '--lease-namespace',
        '$(POD_NAMESPACE)',
        '--ledger-signing-key',
        '/etc/ballast/ledger-signing/ledger.key',
      ],
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

  it('cap the heap at 128 MiB under a 512 MiB limit, and raise both with --max-heap for 10,000 apps', () => {
    const container = (objects: KubeObject[]) => {
      const sts = objects.find((o) => o.kind === 'StatefulSet') as KubeObject & {
        spec: { template: { spec: { containers: Record<string, unknown>[] } } };
      };
      const c = sts.spec.template.spec.containers[0] ?? {};
      const env = c['env'] as { name: string; value?: string }[];
      return {
        nodeOptions: env.find((e) => e.name === 'NODE_OPTIONS')?.value,
        limit: (c['resources'] as { limits: { memory: string } }).limits.memory,
      };
    };
    expect(container(installManifests(defaultInstallOptions()))).toEqual({
      nodeOptions: '--max-semi-space-size=1 --max-old-space-size=128',
      limit: '512Mi',
    });
    expect(container(installManifests({ ...defaultInstallOptions(), maxHeapMiB: 384 }))).toEqual({
      nodeOptions: '--max-semi-space-size=1 --max-old-space-size=384',
      limit: '768Mi',
    });
  });

  it('with shards, run the replicas as `ballast controller --sharded` and let them list the Leases', () => {
    const sharded = installManifests({
      ...defaultInstallOptions(),
      replicas: 3,
      shards: 16,
      ledger: { kind: 'postgres', secretName: 'ledger-db' },
    });
    const sts = sharded.find((x) => x.kind === 'StatefulSet') as KubeObject & {
      spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(sts.spec.replicas).toBe(3);
    const args = sts.spec.template.spec.containers[0]?.args ?? [];
    expect(args).toEqual(expect.arrayContaining(['--sharded', '--shards', '16']));
    expect(args).not.toContain('--leader-elect');
    const role = sharded.find(
      (x) => x.kind === 'Role' && x.metadata.name === 'ballast-leader-election',
    );
    expect(rules(role ?? find('Role', 'none'))[0]?.verbs).toEqual([
      'get',
      'list',
      'create',
      'update',
    ]);
  });

  it('keep the audit ledger on a volume per replica that outlives the Pod, or in Postgres, never on an emptyDir', () => {
    const set = (o: KubeObject[]): Record<string, unknown> =>
      (o.find((x) => x.kind === 'StatefulSet') as KubeObject & { spec: Record<string, unknown> })
        .spec;
    expect(set(objects)['volumeClaimTemplates']).toMatchObject([
      { metadata: { name: 'ledger' }, spec: { resources: { requests: { storage: '1Gi' } } } },
    ]);
    expect(JSON.stringify(objects)).not.toMatch(/"name":"ledger","emptyDir"/);
    const pg = installManifests({
      ...defaultInstallOptions(),
      ledger: { kind: 'postgres', secretName: 'ledger-db' },
    });
    expect(set(pg)['volumeClaimTemplates']).toBeUndefined();
    expect(JSON.stringify(set(pg))).toContain(
      '{"name":"BALLAST_LEDGER","valueFrom":{"secretKeyRef":{"name":"ledger-db","key":"url"}}}',
    );
  });

  it('hand the controller the Vaults it may talk to, and none by default', () => {
    const argsOf = (o: KubeObject[]): string[] => {
      const sts = o.find((x) => x.kind === 'StatefulSet') as
        | (KubeObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } })
        | undefined;
      return sts?.spec.template.spec.containers[0]?.args ?? [];
    };
    expect(argsOf(objects).filter((a) => a.startsWith('--vault'))).toEqual([]);
    const withVault = installManifests({
      ...defaultInstallOptions(),
      vault: { address: 'https://vault:8200', allowed: ['https://vault.team-a:8200'] },
    });
    expect(argsOf(withVault).slice(-4)).toEqual([
      '--vault-address',
      'https://vault:8200',
      '--vault-allowed-address',
      'https://vault.team-a:8200',
    ]);
  });

  it('hand the controller the URLs notifications may go to, and none by default', () => {
    const argsOf = (o: KubeObject[]): string[] => {
      const sts = o.find((x) => x.kind === 'StatefulSet') as
        | (KubeObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } })
        | undefined;
      return sts?.spec.template.spec.containers[0]?.args ?? [];
    };
    expect(argsOf(objects)).not.toContain('--notification-allowed-url');
    const allowed = installManifests({
      ...defaultInstallOptions(),
      notificationAllowedUrls: ['https://hooks.example/', 'https://api.github.com/'],
    });
    expect(argsOf(allowed).slice(-4)).toEqual([
      '--notification-allowed-url',
      'https://hooks.example/',
      '--notification-allowed-url',
      'https://api.github.com/',
    ]);
  });

  it('with --ui, run `controller --ui` and expose it on the Service as port 80; without, neither', () => {
    const argsOf = (o: KubeObject[]): string[] => {
      const sts = o.find((x) => x.kind === 'StatefulSet') as
        | (KubeObject & { spec: { template: { spec: { containers: { args: string[] }[] } } } })
        | undefined;
      return sts?.spec.template.spec.containers[0]?.args ?? [];
    };
    const portsOf = (o: KubeObject[]): unknown[] =>
      (o.find((x) => x.kind === 'Service') as KubeObject & { spec: { ports: unknown[] } }).spec
        .ports;
    expect(argsOf(objects)).not.toContain('--ui');
    expect(portsOf(objects)).toHaveLength(1);
    const withUi = installManifests({ ...defaultInstallOptions(), ui: true });
    expect(argsOf(withUi)).toContain('--ui');
    expect(portsOf(withUi)).toContainEqual({
      name: 'ui',
      port: 80,
      targetPort: 'http',
      protocol: 'TCP',
    });
  });

  it('multi-tenant: no applier role, a controller that reads, impersonates ServiceAccounts and names the default one', () => {
    const multi = installManifests({ ...defaultInstallOptions(), tenancy: 'multi' });
    const names = multi.map(kubectlName);
    expect(names.filter((n) => n.includes('ballast-applier'))).toEqual([]);
    const role = multi.find((o) => o.kind === 'ClusterRole');
    const granted = rules(role as KubeObject);
    // Nothing writes beyond the controller's own objects: no wildcard verb anywhere.
    expect(granted.flatMap((r) => r.verbs)).not.toContain('*');
    expect(granted).toContainEqual({
      apiGroups: ['*'],
      resources: ['*'],
      verbs: ['get', 'list', 'watch'],
    });
    expect(granted).toContainEqual({
      apiGroups: [''],
      resources: ['serviceaccounts'],
      verbs: ['impersonate'],
    });
    expect(JSON.stringify(multi)).toContain('"--default-service-account","ballast"');
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

describe('ballast install --hub manifests', () => {
  const hub = hubInstallManifests(defaultHubInstallOptions());
  const deployment = hub.find((o) => o.kind === 'Deployment') as KubeObject & {
    spec: { replicas: number; strategy: object; template: { spec: Record<string, unknown> } };
  };
  const controllerPod = (
    find('StatefulSet', 'ballast-controller') as KubeObject & {
      spec: { template: { spec: Record<string, unknown> } };
    }
  ).spec.template.spec;

  it('end with the Service and a Deployment of `ballast hub --leader-elect` as ballast-hub, in the fleet namespace', () => {
    expect(hub.slice(-2).map(kubectlName)).toEqual([
      'service/ballast-hub',
      'deployment.apps/ballast-hub',
    ]);
    expect(deployment.metadata.namespace).toBe('ballast-fleet');
    expect(deployment.spec.replicas).toBe(2);
    // A follower is never Ready, so a rolling update would wait for it forever.
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = deployment.spec.template.spec;
    expect(pod['serviceAccountName']).toBe('ballast-hub');
    expect((pod['containers'] as unknown[])[0]).toMatchObject({
      image: 'ballast:dev',
      command: ['ballast'],
      args: [
        'hub',
        '--metrics-bind-address',
        '0.0.0.0',
        '--leader-elect',
        '--fleet-namespace',
        '$(POD_NAMESPACE)',
      ],
      ports: [{ name: 'http', containerPort: 8081 }],
      readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
    });
    expect(hub.find((o) => o.kind === 'Service')?.['spec']).toMatchObject({
      selector: { 'app.kubernetes.io/component': 'hub' },
      ports: [{ name: 'http', port: 8081, targetPort: 'http' }],
    });
  });

  it('run locked down as the controller does: the same Pod and container security, and no Secret mounted', () => {
    const pod = deployment.spec.template.spec;
    expect(pod['securityContext']).toEqual(controllerPod['securityContext']);
    const [hubContainer] = pod['containers'] as Record<string, unknown>[];
    const [controllerContainer] = controllerPod['containers'] as Record<string, unknown>[];
    expect(hubContainer?.['securityContext']).toEqual(controllerContainer?.['securityContext']);
    expect(pod['volumes']).toEqual([{ name: 'tmp', emptyDir: {} }]);
    expect(hub.find((o) => o.kind === 'Namespace')?.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('with --notification-allowed-url, let the hub read policies and act as ballast-notify alone, never read a Secret itself', () => {
    expect(hub.some((o) => o.metadata.name === 'ballast-hub-notifications')).toBe(false);
    expect(JSON.stringify(deployment)).not.toContain('--notification');
    const notifying = hubInstallManifests({
      ...defaultHubInstallOptions(),
      notificationAllowedUrls: ['https://hooks.example/a/', 'https://hooks.example/b/'],
    });
    const d = notifying.find((o) => o.kind === 'Deployment') as KubeObject & {
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(d.spec.template.spec.containers[0]?.args.slice(-6)).toEqual([
      ...['--notification-allowed-url', 'https://hooks.example/a/'],
      ...['--notification-allowed-url', 'https://hooks.example/b/'],
      ...['--notification-service-account', 'ballast-notify'],
    ]);
    expect(notifying.map(kubectlName)).toContain(
      'customresourcedefinition.apiextensions.k8s.io/notificationpolicies.ballast.dev',
    );
    const role = notifying.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'ballast-hub-notifications',
    );
    const rules = role?.['rules'] as { resources: string[]; resourceNames?: string[] }[];
    expect(rules.find((r) => r.resources.includes('serviceaccounts'))?.resourceNames).toEqual([
      'ballast-notify',
    ]);
    const everyRule = notifying
      .filter((o) => o.kind === 'ClusterRole' && o.metadata.name.startsWith('ballast-hub'))
      .flatMap((o) => o['rules'] as { resources: string[] }[]);
    expect(everyRule.some((r) => r.resources.includes('secrets'))).toBe(false);
  });

  it('take --replicas and --image, 0 replicas for a hub run as a local process', () => {
    const local = hubInstallManifests({
      ...defaultHubInstallOptions(),
      replicas: 0,
      image: 'r/b:1',
    });
    const d = local.find((o) => o.kind === 'Deployment') as KubeObject & {
      spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
    };
    expect(d.spec.replicas).toBe(0);
    expect(d.spec.template.spec.containers[0]?.image).toBe('r/b:1');
  });
});
