import { serviceAccountUser } from '../../cluster/cluster.js';
import { clusterNameRegex, maxClusterNameLength } from '../names.js';

/** The ServiceAccount whose tokens register clusters; it may only create and read CSRs. */
export const registrarServiceAccount = 'ballast-registrar';

/** The only signer the registrar approves for: client certificates the hub apiserver accepts. */
export const clientSigner = 'kubernetes.io/kube-apiserver-client';

/** Marks everything registration creates on the hub, with the Cluster's name as value. */
export const registrationLabel = 'ballast.dev/registered-cluster';

/**
 * On a Cluster: the user name of the agent registered for it. It is what makes a name taken.
 * It is metadata, not status, because the agent itself may write its Cluster's status.
 */
export const identityAnnotation = 'ballast.dev/registered-identity';

/** On a Cluster: the uid of the CSR that registered it, so only that CSR can resume the claim. */
export const registeringCsrAnnotation = 'ballast.dev/registered-by-csr';

/** Marks a registration token's Secret; deleting the Secret revokes the token. */
export const tokenSecretLabel = 'ballast.dev/registration-token';

const identityPrefix = 'ballast:cluster:';

/** The user a registration id of a cluster becomes: `ballast:cluster:<name>:<id>`. */
export function clusterIdentity(cluster: string, registrationId: string): string {
  return `${identityPrefix}${cluster}:${registrationId}`;
}

/** A registration id is 16 lowercase hex characters (64 random bits). */
const registrationIdRegex = /^[0-9a-f]{16}$/;

/** The parts of an identity, or undefined when `user` is not one. */
export function parseClusterIdentity(
  user: string,
): { cluster: string; registrationId: string } | undefined {
  if (!user.startsWith(identityPrefix)) return undefined;
  const [cluster = '', registrationId = '', ...rest] = user.slice(identityPrefix.length).split(':');
  if (rest.length > 0 || !registrationIdRegex.test(registrationId)) return undefined;
  if (cluster.length > maxClusterNameLength || !new RegExp(clusterNameRegex).test(cluster))
    return undefined;
  return { cluster, registrationId };
}

/** Whether a common name claims to be a cluster identity, well-formed or not. */
export function looksLikeClusterIdentity(user: string): boolean {
  return user.startsWith(identityPrefix);
}

/** The registrar ServiceAccount's user name in `fleetNamespace`. */
export function registrarUser(fleetNamespace: string): string {
  return serviceAccountUser(fleetNamespace, registrarServiceAccount);
}

/** The name of the first CSR of a registration: fixed, so a restarted agent finds it again. */
export function registrationCsrName(cluster: string, registrationId: string): string {
  return `ballast-register-${cluster}-${registrationId}`;
}

/**
 * The name of every renewal CSR of an identity. It is fixed so that the identity's RBAC can
 * name it: the identity may read and delete that CSR only, not other clusters' requests.
 */
export function renewalCsrName(cluster: string, registrationId: string): string {
  return `ballast-renew-${cluster}-${registrationId}`;
}

/** Name of the per-cluster RBAC objects (ClusterRole, Roles and their bindings). */
export function clusterRbacName(cluster: string): string {
  return `ballast-cluster-${cluster}`;
}
