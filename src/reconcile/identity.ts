import type { Application } from '../api/application.js';
import type { Cluster, Identity } from '../cluster/cluster.js';

/** What decides the identity an Application acts as. */
export interface TenancyDeps {
  /** Our own client; its rights are for reading, status, Events and Leases. */
  cluster: Cluster;
  /**
   * The ServiceAccount (in the Application's own namespace) used by an Application that names
   * none in `spec.serviceAccountName`. Unset: such an Application acts with our own rights.
   */
  defaultServiceAccount?: string | undefined;
}

/**
 * The identity every request made for the Application uses: its own ServiceAccount, always in
 * its own namespace, so a tenant can name no account but those of the namespace it writes to.
 */
export function identityOf(app: Application, defaultServiceAccount: string | undefined): Identity {
  const name = app.spec.serviceAccountName ?? defaultServiceAccount;
  return name === undefined
    ? { kind: 'own' }
    : { kind: 'serviceAccount', namespace: app.metadata.namespace ?? '', name };
}

/**
 * The client for the Application's own requests: dry runs, applies, prunes, healing, the live
 * reads they build on, and namespace creation. Its status, Events and the ledger stay ours.
 */
export function actingFor(deps: TenancyDeps, app: Application): Cluster {
  const identity = identityOf(app, deps.defaultServiceAccount);
  return identity.kind === 'own' ? deps.cluster : deps.cluster.as(identity);
}
