import { applicationGroup, applicationPlural } from '../../api/application.js';
import type { KubeObject } from '../../api/object.js';
import { defaultAgentNamespace } from './options.js';

/** The ServiceAccount, roles and bindings of an agent on its spoke are all named this. */
export const agentName = 'ballast-agent';

export interface AgentManifestOptions {
  /** cluster: the agent applies anywhere; namespace: only inside `namespace`, with a Role. */
  scope: 'cluster' | 'namespace';
  /** The agent's namespace: its Applications, their Secrets, and in namespace mode its objects. */
  namespace: string;
}

export function defaultAgentManifestOptions(): AgentManifestOptions {
  return { scope: 'cluster', namespace: defaultAgentNamespace };
}

const labels = { 'app.kubernetes.io/name': 'ballast', 'app.kubernetes.io/component': 'agent' };
const rbac = 'rbac.authorization.k8s.io/v1';

/** Why the cluster-mode agent may do anything, on the role itself so `kubectl describe` shows it. */
const applierRationale =
  'The agent applies whatever the signed commits its Assignments pin contain, CRDs and RBAC ' +
  'included, as `ballast controller` does; granting RBAC requires holding it. To confine an ' +
  'agent, run it in namespace mode (--namespace), with a Role in one namespace only.';

/**
 * What the agent itself needs on the spoke: its mirrored Applications (created, updated and
 * deleted by the agent, reconciled and finalized by its Controller), their status and Events,
 * and the Secrets they name (get only).
 */
const ownRules = [
  {
    apiGroups: [applicationGroup],
    resources: [applicationPlural],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
  },
  {
    apiGroups: [applicationGroup],
    resources: [`${applicationPlural}/status`],
    verbs: ['get', 'patch'],
  },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
];

function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', role: string, ns: string): KubeObject {
  return {
    apiVersion: rbac,
    kind,
    metadata: { name: role, ...(kind === 'RoleBinding' ? { namespace: ns } : {}), labels },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole',
      name: role,
    },
    subjects: [{ kind: 'ServiceAccount', name: agentName, namespace: ns }],
  };
}

/**
 * The agent's RBAC on its spoke, in the order it is applied. Cluster mode: the namespace, a
 * ClusterRole for the agent's own needs and one to apply anything (as `ballast controller`).
 * Namespace mode: one Role in the (existing) namespace, for everything there and nothing else.
 */
export function agentManifests(partial: Partial<AgentManifestOptions> = {}): KubeObject[] {
  const { scope, namespace: ns } = { ...defaultAgentManifestOptions(), ...partial };
  const account: KubeObject = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: agentName, namespace: ns, labels },
  };
  if (scope === 'namespace') {
    const role: KubeObject = {
      apiVersion: rbac,
      kind: 'Role',
      metadata: { name: agentName, namespace: ns, labels },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    };
    return [account, role, binding('RoleBinding', agentName, ns)];
  }
  const applier = `${agentName}-applier`;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } },
    account,
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: agentName, labels },
      rules: ownRules,
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: {
        name: applier,
        labels,
        annotations: { 'ballast.dev/rationale': applierRationale },
      },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    },
    binding('ClusterRoleBinding', agentName, ns),
    binding('ClusterRoleBinding', applier, ns),
  ];
}
