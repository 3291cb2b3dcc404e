import type { KubeObject } from '../api/object.js';
import { hubLabels, hubManifests, hubName, hubNotificationManifests } from '../fleet/hub/index.js';
import { defaultFleetNamespace } from '../fleet/names.js';
import { httpService, lockedDownContainer, lockedDownPod } from './install-workload.js';

/** The hub's port of /healthz, /readyz, /metrics and /hooks: beside a controller's 8080. */
export const hubPort = 8081;

/** Where an installed hub keeps its ledger without --ledger-postgres-secret: lost with the Pod. */
export const ephemeralHubLedger = 'sqlite:/tmp/hub-audit.db';

/** What `ballast install --hub` renders. */
export interface HubInstallOptions {
  /** The fleet namespace: Clusters, the hub's ServiceAccount, its Lease and its Pods. */
  fleetNamespace: string;
  /** The hub's image. */
  image: string;
  /** Hub replicas; 0 installs the CRDs and RBAC for a hub run elsewhere (`ballast hub`). */
  replicas: number;
  /**
   * A Secret in the fleet namespace whose key `url` is the Postgres URL of the hub's ledger of
   * rollout steps, which every replica shares. Unset: SQLite in the Pod's /tmp, which a
   * restarted Pod loses; the hub says so when it starts.
   */
  ledgerPostgresSecret?: string;
  /** `--notification-allowed-url`s: with any, the hub sends RolloutHalted (see hubNotificationManifests). */
  notificationAllowedUrls: readonly string[];
  /** The ServiceAccount, in each policy's namespace, whose rights read the policy's Secrets. */
  notificationServiceAccount: string;
}

export function defaultHubInstallOptions(): HubInstallOptions {
  return {
    fleetNamespace: defaultFleetNamespace,
    image: 'ballast:dev',
    replicas: 2,
    notificationAllowedUrls: [],
    notificationServiceAccount: 'ballast-notify',
  };
}

/**
 * The hub's replicas contend for its Lease, and only the leader is Ready: its /readyz answers
 * 200 only while it reconciles, so the Service sends webhooks to the leader alone.
 */
export function hubDeployment(o: HubInstallOptions): KubeObject {
  const container = lockedDownContainer({
    name: 'hub',
    image: o.image,
    // In a Pod the probes and the Service reach the server through the Pod's address.
    args: [
      ...['hub', '--metrics-bind-address', '0.0.0.0'],
      ...['--leader-elect', '--fleet-namespace', '$(POD_NAMESPACE)'],
      ...notificationArgs(o),
    ],
    env: [
      o.ledgerPostgresSecret === undefined
        ? { name: 'BALLAST_HUB_LEDGER', value: ephemeralHubLedger }
        : {
            name: 'BALLAST_HUB_LEDGER',
            valueFrom: { secretKeyRef: { name: o.ledgerPostgresSecret, key: 'url' } },
          },
    ],
    port: hubPort,
    volumeMounts: [],
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: hubName, namespace: o.fleetNamespace, labels: hubLabels },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: hubLabels },
      // A rolling update waits for new Pods to be Ready, and a follower never is, so it would
      // never finish; the Lease hands over within its duration either way.
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels: hubLabels },
        spec: lockedDownPod({
          serviceAccountName: hubName,
          container,
          volumes: [],
          labels: hubLabels,
        }),
      },
    },
  };
}

function notificationArgs(o: HubInstallOptions): string[] {
  if (o.notificationAllowedUrls.length === 0) return [];
  return [
    ...o.notificationAllowedUrls.flatMap((u) => ['--notification-allowed-url', u]),
    ...['--notification-service-account', o.notificationServiceAccount],
  ];
}

/** Everything `ballast install --hub` applies: CRDs and RBAC first, the workload last. */
export function hubInstallManifests(o: HubInstallOptions): KubeObject[] {
  const ns = o.fleetNamespace;
  return [
    ...hubManifests(ns),
    ...(o.notificationAllowedUrls.length === 0
      ? []
      : hubNotificationManifests(ns, o.notificationServiceAccount)),
    httpService({ name: hubName, namespace: ns, labels: hubLabels, port: hubPort }),
    hubDeployment(o),
  ];
}
