import { fleetRequestedByManifests, fleetRequestedByPolicy } from './requester-policy.js';
import type { KubeObject } from '../../api/object.js';
import { ballastGroup, crdOf } from '../../api/resource.js';
import {
  notificationPolicyPlural,
  notificationPolicyResource,
} from '../../api/notification-policy.js';
import { fleetCrds } from '../crds.js';
import { agentLeaseName, defaultFleetNamespace } from '../names.js';
import { serviceAccountUser } from '../../cluster/cluster.js';
import { registrarGuardPolicy } from '../registration/guard.js';
import { registrarControllerRole, registrationManifests } from '../registration/manifests.js';

/**
 * The name of the hub controller's ServiceAccount, ClusterRole and ClusterRoleBinding, and of
 * the Lease its replicas contend for (`ballast hub --leader-elect`), in the fleet namespace.
 */
export const hubName = 'ballast-hub';

/** The ClusterRole of operators who read the fleet (`ballast fleet status|clusters`). */
export const fleetViewerName = 'ballast-fleet-viewer';

/** The Role, in the fleet namespace, that lets the hub's replicas hold their Lease. */
export const hubLeaderElectionName = 'ballast-hub-leader-election';

/** The labels of everything `ballast install --hub` applies; the hub's Pods are selected by them. */
export const hubLabels = {
  'app.kubernetes.io/name': 'ballast',
  'app.kubernetes.io/component': 'hub',
};
const labels = hubLabels;

/**
 * What the hub controller may do, and nothing more: no `*`, no Secrets (it fetches Git without
 * credentials) and nothing on any spoke. It reads Clusters and FleetApplications, writes their
 * status and the FleetApplication's finalizer, writes and deletes Assignments, reads the
 * agents' Leases (by name, no other Lease), creates the cluster namespaces and records Events.
 */
export function hubClusterRole(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: hubName, labels },
    rules: [
      {
        apiGroups: [ballastGroup],
        resources: ['fleetapplications'],
        verbs: ['get', 'list', 'watch', 'patch'],
      },
      { apiGroups: [ballastGroup], resources: ['clusters'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: [ballastGroup],
        resources: ['fleetapplications/status', 'clusters/status'],
        verbs: ['get', 'patch'],
      },
      {
        apiGroups: [ballastGroup],
        resources: ['assignments'],
        verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
      },
      // The hub watches with fieldSelector metadata.name=ballast-agent, which RBAC matches
      // against resourceNames: it reads the agents' Leases and no other.
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: [agentLeaseName],
        verbs: ['get', 'list', 'watch'],
      },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      // Whether the requested-by policy is in force decides if the ledger calls a name verified.
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
        resourceNames: [fleetRequestedByPolicy],
        verbs: ['get'],
      },
    ],
  };
}

/**
 * The hub's own Lease and nothing more: get and update by name, and create, which RBAC cannot
 * limit to a name, only in the fleet namespace.
 */
export function hubLeaderElectionRole(fleetNamespace: string): KubeObject {
  const group = 'coordination.k8s.io';
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: hubLeaderElectionName, namespace: fleetNamespace, labels },
    rules: [
      {
        apiGroups: [group],
        resources: ['leases'],
        resourceNames: [hubName],
        verbs: ['get', 'update'],
      },
      { apiGroups: [group], resources: ['leases'], verbs: ['create'] },
    ],
  };
}

/**
 * Reading the fleet and nothing else: the fleet's three kinds with their status, but no
 * Secrets, no Leases, and no write. Bind it to whoever runs `ballast fleet list|get|status|
 * clusters`; an Assignment holds only what its FleetApplication does, pinned.
 */
export function fleetViewerRole(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: fleetViewerName, labels },
    rules: [
      {
        apiGroups: [ballastGroup],
        resources: ['clusters', 'fleetapplications', 'assignments'],
        verbs: ['get', 'list', 'watch'],
      },
    ],
  };
}

/**
 * What `ballast install --hub` applies: the fleet CRDs, the fleet namespace, and the hub
 * controller's ServiceAccount (in the fleet namespace) bound to its narrow ClusterRole and to
 * the Role of its Lease and to the registrar's, with the admission policies that keep it from
 * requesting certificates and from granting rights to anyone but registered clusters, and the
 * read-only ClusterRole of the fleet's operators, bound to nobody.
 */
export function hubManifests(fleetNamespace: string = defaultFleetNamespace): KubeObject[] {
  return [
    ...fleetCrds(),
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      // The hub's Pods meet the restricted Pod Security Standard; enforce it.
      metadata: {
        name: fleetNamespace,
        labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted' },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: hubName, namespace: fleetNamespace, labels },
    },
    hubClusterRole(),
    bindToHub(hubName, hubName, fleetNamespace),
    hubLeaderElectionRole(fleetNamespace),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: hubLeaderElectionName, namespace: fleetNamespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: hubLeaderElectionName },
      subjects: [{ kind: 'ServiceAccount', name: hubName, namespace: fleetNamespace }],
    },
    // The registrar runs in `ballast hub`, as the hub's account; the registration token's
    // account may only ask for certificates, and the hub's account may not ask for any.
    registrarControllerRole(),
    bindToHub('ballast-hub-registrar', 'ballast-hub-registrar', fleetNamespace),
    ...registrarGuardPolicy(fleetNamespace, serviceAccountUser(fleetNamespace, hubName)),
    ...registrationManifests(fleetNamespace),
    fleetViewerRole(),
    ...fleetRequestedByManifests(labels),
  ];
}

/** The ClusterRole that lets the hub send NotificationPolicies' outcomes (opt-in). */
export const hubNotificationsName = 'ballast-hub-notifications';

/**
 * What `ballast install --hub --notification-allowed-url` adds: the NotificationPolicy CRD, and
 * the right to read policies, write their Ready condition and impersonate one ServiceAccount
 * name, `serviceAccount`, in any namespace. The hub reads a policy's Secrets as that account of
 * the policy's own namespace, so a tenant's policy reaches only Secrets the tenant granted it;
 * the hub itself still reads no Secret.
 */
export function hubNotificationManifests(
  fleetNamespace: string,
  serviceAccount: string,
): KubeObject[] {
  return [
    crdOf(notificationPolicyResource),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: hubNotificationsName, labels },
      rules: [
        {
          apiGroups: [ballastGroup],
          resources: [notificationPolicyPlural],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: [ballastGroup],
          resources: [`${notificationPolicyPlural}/status`],
          verbs: ['get', 'patch'],
        },
        {
          apiGroups: [''],
          resources: ['serviceaccounts'],
          resourceNames: [serviceAccount],
          verbs: ['impersonate'],
        },
      ],
    },
    bindToHub(hubNotificationsName, hubNotificationsName, fleetNamespace),
  ];
}

function bindToHub(name: string, role: string, fleetNamespace: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', name: hubName, namespace: fleetNamespace }],
  };
}
