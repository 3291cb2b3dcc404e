import { formatAppKey, type AppKey } from '../../api/app-key.js';
import type { KubeObject } from '../../api/object.js';
import type { Cluster } from '../../cluster/cluster.js';
import type { AuditSink } from '../../reconcile/audit.js';
import type { Logger } from '../../reconcile/log.js';
import type { OutcomeTap } from '../../reconcile/status.js';
import type { GitSource } from '../../source/source.js';
import type { Beat } from './heartbeat.js';
import type { HubOptions } from './options.js';
import type { ObjectStore } from './store.js';

/** A commit the hub resolved for one FleetApplication, and from what. */
export interface Resolved {
  repoURL: string;
  targetRevision: string;
  sha: string;
  /** Hub clock time of the resolution. */
  atMs: number;
}

/** What the hub's reconciles share: its client, its source, and its watched view of the hub. */
export interface HubContext {
  hub: Cluster;
  source: GitSource;
  opts: HubOptions;
  log: Logger;
  fleetApps: ObjectStore;
  clusters: ObjectStore;
  assignments: ObjectStore;
  /** The agents' Leases, as beats on the hub's clock, by Cluster name. */
  beats: Map<string, Beat>;
  /** The last commit resolved per FleetApplication key; dropped to force a new resolution. */
  resolved: Map<AppKey, Resolved>;
  /** Per FleetApplication, when each cluster was first seen Healthy at the rollout's commit. */
  healthySince: Map<AppKey, Map<string, number>>;
  /** The hub's audit ledger: rollout steps and who asked for them. */
  audit: AuditSink | undefined;
  /** Hears each rollout step announced (RolloutHalted is a notification outcome). */
  notify: OutcomeTap | undefined;
}

/** The key of the FleetApplication an Assignment was written for, from its spec. */
export function ownerOf(a: KubeObject): AppKey | undefined {
  const f = (a as { spec?: { fleetApplication?: { namespace?: unknown; name?: unknown } } }).spec
    ?.fleetApplication;
  return typeof f?.namespace === 'string' && typeof f.name === 'string'
    ? formatAppKey({ namespace: f.namespace, name: f.name })
    : undefined;
}
