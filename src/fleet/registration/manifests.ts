import { ballastGroup } from '../../api/resource.js';
import type { KubeObject } from '../../api/object.js';
import { clusterNamespace, defaultFleetNamespace } from '../names.js';
import {
  agentLeaseName,
  clusterRbacName,
  registrarServiceAccount,
  registrationLabel,
  renewalCsrName,
} from './names.js';

const rbac = 'rbac.authorization.k8s.io/v1';
const certificates = 'certificates.k8s.io';
const csrs = 'certificatesigningrequests';

const labels = { 'app.kubernetes.io/name': 'ballast', 'app.kubernetes.io/component': 'fleet' };

/**
 * The registration ServiceAccount and its rights: create CertificateSigningRequests and read
 * them (to fetch the issued certificate), nothing else. A token of it can do no more than ask;
 * the registrar decides. Also the ClusterRole the hub's registrar itself needs, to be bound to
 * whatever account `ballast hub` runs as (`registrarControllerRole`).
 */
export function registrationManifests(fleetNamespace = defaultFleetNamespace): KubeObject[] {
  const sa = registrarServiceAccount;
  // Cluster-scoped, so named after the fleet namespace: two fleets on one hub keep their own.
  const name = `${sa}:${fleetNamespace}`;
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace: fleetNamespace, labels },
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name, labels },
      rules: [
        { apiGroups: [certificates], resources: [csrs], verbs: ['create', 'get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: fleetNamespace }],
    },
  ];
}

/**
 * What the registrar in `ballast hub` needs: approve and deny client CSRs, create registration
 * tokens, create Clusters, each cluster's namespace and RBAC (granting a role needs `bind` and
 * `escalate`, since the registrar does not hold the agent's rights itself), and delete them.
 */
export function registrarControllerRole(): KubeObject {
  return {
    apiVersion: rbac,
    kind: 'ClusterRole',
    metadata: { name: 'ballast-hub-registrar', labels },
    rules: [
      { apiGroups: [certificates], resources: [csrs], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [certificates], resources: [`${csrs}/approval`], verbs: ['update'] },
      {
        apiGroups: [certificates],
        resources: ['signers'],
        resourceNames: ['kubernetes.io/kube-apiserver-client'],
        verbs: ['approve'],
      },
      {
        apiGroups: [ballastGroup],
        resources: ['clusters'],
        verbs: ['get', 'list', 'create', 'patch', 'delete'],
      },
      { apiGroups: [ballastGroup], resources: ['clusters/status'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'patch', 'delete'] },
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
        verbs: ['get', 'create', 'patch', 'delete', 'bind', 'escalate'],
      },
    ],
  };
}

function role(
  kind: 'Role' | 'ClusterRole',
  name: string,
  namespace: string | undefined,
  cluster: string,
  rules: object[],
): KubeObject {
  return {
    apiVersion: rbac,
    kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { ...labels, [registrationLabel]: cluster },
    },
    rules,
  };
}

function binding(
  kind: 'RoleBinding' | 'ClusterRoleBinding',
  name: string,
  namespace: string | undefined,
  cluster: string,
  identity: string,
): KubeObject {
  return {
    apiVersion: rbac,
    kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { ...labels, [registrationLabel]: cluster },
    },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole',
      name,
    },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: identity }],
  };
}

/** Where a cluster's identity is granted rights, for creating and for deregistering. */
export interface ClusterRbacInput {
  cluster: string;
  /** The agent's user, `ballast:cluster:<name>:<id>`. */
  identity: string;
  registrationId: string;
  fleetNamespace: string;
}

/**
 * The namespace and RBAC of one registered cluster, granting exactly: Assignments in its own
 * namespace (read, watch, write status, never spec), its Lease there, its own Cluster's status
 * in the fleet namespace, and creating a CSR to renew (reading and deleting only its own fixed
 * renewal CSR). The namespace comes first: the Role in it needs it.
 */
export function clusterRbac(input: ClusterRbacInput): KubeObject[] {
  const { cluster, identity, fleetNamespace } = input;
  const ns = clusterNamespace(cluster);
  const name = clusterRbacName(cluster);
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { ...labels, [registrationLabel]: cluster } },
    },
    role('Role', name, ns, cluster, [
      { apiGroups: [ballastGroup], resources: ['assignments'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: [ballastGroup],
        resources: ['assignments/status'],
        verbs: ['get', 'update', 'patch'],
      },
      // create cannot be limited to a name (RBAC sees no name on create).
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: [agentLeaseName],
        verbs: ['get', 'update', 'patch'],
      },
    ]),
    binding('RoleBinding', name, ns, cluster, identity),
    role('Role', name, fleetNamespace, cluster, [
      {
        apiGroups: [ballastGroup],
        resources: ['clusters'],
        resourceNames: [cluster],
        verbs: ['get'],
      },
      {
        apiGroups: [ballastGroup],
        resources: ['clusters/status'],
        resourceNames: [cluster],
        verbs: ['get', 'update', 'patch'],
      },
    ]),
    binding('RoleBinding', name, fleetNamespace, cluster, identity),
    role('ClusterRole', name, undefined, cluster, [
      { apiGroups: [certificates], resources: [csrs], verbs: ['create'] },
      {
        apiGroups: [certificates],
        resources: [csrs],
        resourceNames: [renewalCsrName(cluster, input.registrationId)],
        verbs: ['get', 'delete'],
      },
    ]),
    binding('ClusterRoleBinding', name, undefined, cluster, identity),
  ];
}
