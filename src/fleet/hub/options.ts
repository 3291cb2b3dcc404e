import { createLogger, type Logger } from '../../reconcile/log.js';
import { defaultFleetNamespace } from '../names.js';

/** How `ballast hub` runs. */
export interface HubOptions {
  /** Only FleetApplications in this namespace; all namespaces when undefined. */
  namespace: string | undefined;
  /** Where Clusters live on the hub. */
  fleetNamespace: string;
  /**
   * How long an agent's Lease may go unrenewed before its Cluster is Ready=False
   * (HeartbeatMissed), for Clusters whose spec.heartbeatTimeout is the CRD default (60s).
   */
  heartbeatTimeoutMs: number;
  /** FleetApplications reconciled at once; a reconcile mostly waits on Git or the apiserver. */
  workers: number;
  /** Port of /healthz, /readyz, /metrics and /hooks (0: any free port; undefined: none). */
  httpPort: number | undefined;
  /** Address the HTTP server binds; in a Pod, 0.0.0.0 so kubelet probes reach it. */
  httpHost: string;
  /** Shared secret of the webhook receiver; off when undefined. */
  webhookSecret: string | undefined;
  /** JSON logger. */
  logger: Logger;
  /** On stop(), how long in-flight reconciles may finish before they are aborted. */
  drainMs: number;
  /**
   * How long agents' status reports gather before the FleetApplication and the Cluster they
   * concern are looked at again: one run per window instead of one per report.
   */
  coalesceMs: number;
  /** The hub's clock, replaceable in tests. */
  now: () => number;
}

export function defaultHubOptions(): HubOptions {
  return {
    namespace: undefined,
    fleetNamespace: defaultFleetNamespace,
    heartbeatTimeoutMs: 60_000,
    workers: 8,
    httpPort: undefined,
    httpHost: '127.0.0.1',
    webhookSecret: undefined,
    logger: createLogger({ level: 'silent' }),
    drainMs: 20_000,
    coalesceMs: 500,
    now: () => Date.now(),
  };
}
