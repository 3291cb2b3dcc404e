import type { KubeObject } from '../../api/object.js';
import { ballastGroup } from '../../api/resource.js';
import { fleetCrds } from '../crds.js';
import { defaultFleetNamespace } from '../names.js';
import { serviceAccountUser } from '../../cluster/cluster.js';
import { registrarGuardPolicy } from '../registration/guard.js';
import { registrarControllerRole, registrationManifests } from '../registration/manifests.js';

/** The name of the hub controller's ServiceAccount, ClusterRole and ClusterRoleBinding. */
export const hubName = 'ballast-hub';

const labels = { 'app.kubernetes.io/name': 'ballast', 'app.kubernetes.io/component': 'hub' };

/**
 * What the hub controller may do, and nothing more: no `*`, no Secrets (it fetches Git without
 * credentials) and nothing on any spoke. It reads Clusters and FleetApplications, writes their
 * status and the FleetApplication's finalizer, writes and deletes Assignments, reads the
 * agents' Leases, creates the cluster namespaces and records Events.
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
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'list', 'watch'],
      },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create'] },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    ],
  };
}

/**
 * What `ballast install --hub` applies: the fleet CRDs, the fleet namespace, and the hub
 * controller's ServiceAccount (in the fleet namespace) bound to its narrow ClusterRole and to
 * the registrar's, with the admission policies that keep it from requesting certificates and
 * from granting rights to anyone but registered clusters.
 */
export function hubManifests(fleetNamespace: string = defaultFleetNamespace): KubeObject[] {
  return [
    ...fleetCrds(),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: fleetNamespace, labels } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: hubName, namespace: fleetNamespace, labels },
    },
    hubClusterRole(),
    bindToHub(hubName, hubName, fleetNamespace),
    // The registrar runs in `ballast hub`, as the hub's account; the registration token's
    // account may only ask for certificates, and the hub's account may not ask for any.
    registrarControllerRole(),
    bindToHub('ballast-hub-registrar', 'ballast-hub-registrar', fleetNamespace),
    ...registrarGuardPolicy(fleetNamespace, serviceAccountUser(fleetNamespace, hubName)),
    ...registrationManifests(fleetNamespace),
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
