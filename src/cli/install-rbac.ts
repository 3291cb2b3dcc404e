import { applicationGroup, applicationPlural } from '../api/application.js';
import { notificationPolicyPlural } from '../api/notification-policy.js';
import type { KubeObject } from '../api/object.js';

/**
 * Who may do what through the controller. `single`: the controller applies with its own
 * cluster-admin-equivalent rights, so whoever writes an Application is cluster admin. `multi`:
 * every Application impersonates a ServiceAccount of its own namespace, and the controller's
 * own rights are reading, status, Events, Leases and impersonating ServiceAccounts.
 */
export type Tenancy = 'single' | 'multi';

export const controllerName = 'ballast-controller';
export const leaderElection = 'ballast-leader-election';
export const applier = 'ballast-applier';
export const ledgerCheckpoint = 'ballast-ledger-checkpoint';
export const sealingKeys = 'ballast-sealing-keys';
export const installLabels = {
  'app.kubernetes.io/name': 'ballast',
  'app.kubernetes.io/component': 'controller',
};

/**
 * Why the applier role is so broad, on the ClusterRole itself so `kubectl describe` shows it.
 * An Application may contain any kind (CRDs, RBAC, webhooks), and applying RBAC requires holding
 * the permissions granted, so any narrower default would break ordinary repositories. Flux's
 * kustomize-controller and Argo CD's application-controller are bound to the equivalent.
 */
const applierRationale =
  'Ballast applies whatever its Applications contain, including CRDs and RBAC, and granting ' +
  'RBAC requires holding the permissions granted; so this role is cluster-admin-equivalent, ' +
  "as Flux's kustomize-controller and Argo CD's application-controller are. Whoever can write " +
  'an Application, or push to a repository one points at, can therefore do anything in the ' +
  'cluster. To confine Ballast, install with --tenancy multi: each Application then acts as a ' +
  'ServiceAccount of its own namespace; or delete the ballast-applier ClusterRoleBinding and bind narrower ' +
  'roles to the ServiceAccount; ballast-controller keeps what the controller itself needs.';

/** Why the multi-tenant controller may read every kind, on the role itself. */
const readerRationale =
  'The controller watches every kind its Applications apply, to see a manual change within a ' +
  'second and to report health; which kinds those are is up to the tenants, so it may get, ' +
  'list and watch all of them, Secrets included. It writes nothing an Application contains: ' +
  "every such write impersonates the Application's ServiceAccount.";

/**
 * What the controller needs for itself, whatever the applier role allows: reading and
 * patching Applications and their status, Events about them, and repository credentials
 * (get only, so it cannot list every Secret in the cluster). Multi-tenant, it also reads every
 * kind (see readerRationale) and impersonates ServiceAccounts, and nothing more.
 */
export function controllerRole(tenancy: Tenancy): KubeObject {
  const own = [
    {
      apiGroups: [applicationGroup],
      resources: [applicationPlural],
      verbs: ['get', 'list', 'watch', 'patch'],
    },
    {
      apiGroups: [applicationGroup],
      resources: [`${applicationPlural}/status`],
      verbs: ['get', 'patch'],
    },
    // NotificationPolicies are read and their Ready condition written; their Secrets are read
    // with the get below (single tenancy) or as the policy's ServiceAccount (multi).
    {
      apiGroups: [applicationGroup],
      resources: [notificationPolicyPlural],
      verbs: ['get', 'list', 'watch'],
    },
    {
      apiGroups: [applicationGroup],
      resources: [`${notificationPolicyPlural}/status`],
      verbs: ['get', 'patch'],
    },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    // spec.vault.auth.kubernetes: a short-lived token of the ServiceAccount the Application
    // already acts as, for Vault's login; the account is never one the tenant could not use.
    { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
    // Whether the requested-by policy is in force decides if the ledger calls an actor verified.
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
      verbs: ['get'],
    },
  ];
  const tenants = [
    { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  ];
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: controllerName,
      labels: installLabels,
      ...(tenancy === 'multi' ? { annotations: { 'ballast.dev/rationale': readerRationale } } : {}),
    },
    rules: tenancy === 'multi' ? [...own, ...tenants] : own,
  };
}

export function applierRole(): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: applier,
      labels: installLabels,
      annotations: { 'ballast.dev/rationale': applierRationale },
    },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
  };
}

/**
 * Leases only in the controller's own namespace: leader election needs no more. Sharded
 * replicas also list them, to read every shard's and member's Lease in one request.
 */
export function leaderElectionRole(ns: string, sharded = false): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: leaderElection, namespace: ns, labels: installLabels },
    rules: [
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: sharded ? ['get', 'list', 'create', 'update'] : ['get', 'create', 'update'],
      },
    ],
  };
}

export function binding(
  kind: 'ClusterRoleBinding' | 'RoleBinding',
  role: string,
  ns: string,
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: {
      name: role,
      ...(kind === 'RoleBinding' ? { namespace: ns } : {}),
      labels: installLabels,
    },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole',
      name: role,
    },
    subjects: [{ kind: 'ServiceAccount', name: controllerName, namespace: ns }],
  };
}

/** The ledger's signed head is published to a ConfigMap of the controller's namespace. */
export function ledgerCheckpointRole(ns: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: ledgerCheckpoint, namespace: ns, labels: installLabels },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'patch'] }],
  };
}

/**
 * SealedSecrets keys live as Secrets in the controller's own namespace: it lists them there and
 * makes the renewed ones. The list right is only here, so no other namespace's Secrets can be
 * listed as keys.
 */
export function sealingKeysRole(ns: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: sealingKeys, namespace: ns, labels: installLabels },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'patch'] }],
  };
}

/** The controller's RBAC, in the order it is applied. */
export function rbacManifests(ns: string, tenancy: Tenancy, sharded = false): KubeObject[] {
  return [
    controllerRole(tenancy),
    ...(tenancy === 'single' ? [applierRole()] : []),
    binding('ClusterRoleBinding', controllerName, ns),
    ...(tenancy === 'single' ? [binding('ClusterRoleBinding', applier, ns)] : []),
    leaderElectionRole(ns, sharded),
    binding('RoleBinding', leaderElection, ns),
    ledgerCheckpointRole(ns),
    binding('RoleBinding', ledgerCheckpoint, ns),
    sealingKeysRole(ns),
    binding('RoleBinding', sealingKeys, ns),
  ];
}
