import type { Cluster } from '../../cluster/cluster.js';
import { ApiServerUnreachableError, KubeApiError } from '../../cluster/errors.js';
import { clusterNamespace, defaultFleetNamespace } from '../names.js';
import { clusterRbacName } from './names.js';

/** What deregistration removed. */
export interface Deregistration {
  cluster: string;
  /** Objects deleted, as `Kind namespace/name`; empty when the cluster was not registered. */
  deleted: string[];
}

/**
 * Takes a cluster's identity off the hub: its RBAC first (so it loses every right at once),
 * then its namespace (its Assignments and Lease) and its Cluster. A client certificate cannot
 * be revoked, but it names a random registration id that no RBAC names any more; a cluster
 * registered again under the same name gets a new id, so the old certificate stays powerless.
 * The Cluster is deleted rather than marked, so the name is free and the hub stops placing
 * FleetApplications there; its labels must be set again on re-registration.
 */
export async function deregisterCluster(
  hub: Cluster,
  cluster: string,
  fleetNamespace = defaultFleetNamespace,
): Promise<Deregistration> {
  const name = clusterRbacName(cluster);
  const rbac = 'rbac.authorization.k8s.io/v1';
  const targets = [
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      group: 'rbac.authorization.k8s.io',
      namespace: '',
      name,
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      group: 'rbac.authorization.k8s.io',
      namespace: '',
      name,
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      group: 'rbac.authorization.k8s.io',
      namespace: fleetNamespace,
      name,
    },
    {
      apiVersion: rbac,
      kind: 'Role',
      group: 'rbac.authorization.k8s.io',
      namespace: fleetNamespace,
      name,
    },
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      group: '',
      namespace: '',
      name: clusterNamespace(cluster),
    },
    {
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Cluster',
      group: 'ballast.dev',
      namespace: fleetNamespace,
      name: cluster,
    },
  ];
  const deleted: string[] = [];
  for (const t of targets)
    if (await hub.delete(t))
      deleted.push(`${t.kind} ${t.namespace === '' ? '' : `${t.namespace}/`}${t.name}`);
  return { cluster, deleted };
}

/** What an error from the hub means for an agent. */
export type HubStanding =
  /** The identity lost its rights, or its namespace or Cluster is gone: stop, leave workloads. */
  | { kind: 'deregistered'; detail: string }
  /** The certificate is not accepted (expired, or the hub's CA changed): register again. */
  | { kind: 'credential-rejected'; detail: string }
  /** Unreachable, overloaded or starting: back off and keep healing from what is stored. */
  | { kind: 'hub-down'; detail: string }
  /** Anything else (a bad request of ours): report it, keep going. */
  | { kind: 'other'; detail: string };

/**
 * Classifies an error from a request the agent made as its hub identity. A 403 is read as
 * deregistered only when the apiserver says it is RBAC refusing *this* user (the message
 * names the user), so an apiserver still starting (which may refuse before its RBAC is
 * loaded, without naming anyone) counts as down. A 404 counts when it is the agent's own
 * namespace or Cluster that is missing: `deregister` deletes both.
 */
export function classifyHubError(error: unknown, identity: string, cluster: string): HubStanding {
  if (error instanceof ApiServerUnreachableError)
    return { kind: 'hub-down', detail: error.message };
  if (!(error instanceof KubeApiError)) return { kind: 'other', detail: String(error) };
  const detail = `${error.status} ${error.reason}: ${error.apiMessage}`;
  if (error.status === 401) return { kind: 'credential-rejected', detail };
  if (error.status === 403)
    return error.apiMessage.includes(`"${identity}"`)
      ? { kind: 'deregistered', detail }
      : { kind: 'hub-down', detail };
  if (error.status === 404) {
    const d = error.details;
    const gone =
      (d?.kind === 'namespaces' && d.name === clusterNamespace(cluster)) ||
      (d?.kind === 'clusters' && d.name === cluster);
    return gone ? { kind: 'deregistered', detail } : { kind: 'other', detail };
  }
  if (error.status === 429 || error.status >= 500) return { kind: 'hub-down', detail };
  return { kind: 'other', detail };
}
