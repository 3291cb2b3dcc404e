/**
 * The hub controller of the fleet (`ballast hub`): it pins each FleetApplication's commit and
 * writes one Assignment per selected Cluster, deletes those of Clusters no longer selected,
 * aggregates what the agents report, and turns each agent's Lease into its Cluster's Ready.
 */
import { Hub, type HubDeps } from './hub.js';
import { defaultHubOptions, type HubOptions } from './options.js';

export { Hub, HubKindMissingError, type HubDeps } from './hub.js';
export { defaultHubOptions, type HubOptions } from './options.js';
export {
  fleetViewerName,
  fleetViewerRole,
  hubLabels,
  hubManifests,
  hubName,
  hubNotificationManifests,
  hubNotificationsName,
} from './manifests.js';
export { judgeReadiness, observeBeat, type Beat, type Readiness } from './heartbeat.js';
export { planAssignments, type FleetPlan } from './plan.js';
export { fleetFinalizer, RevisionUnresolvedError } from './fleet-reconcile.js';
export { hubFieldManager } from './kube.js';

/** A running hub: the port its HTTP server took (if any) and how to stop it. */
export interface RunningHub {
  /** The port /healthz, /readyz, /metrics and /hooks listen on; undefined without httpPort. */
  port: number | undefined;
  /** Stops reconciling (in-flight runs get drainMs), the watches and the HTTP server. */
  stop: () => Promise<void>;
}

/** Starts the hub controller; resolves once every watch has listed and reconciling has begun. */
export async function startHub(
  deps: HubDeps,
  partial: Partial<HubOptions> = {},
): Promise<RunningHub> {
  const hub = new Hub(deps, { ...defaultHubOptions(), ...partial });
  const { port } = await hub.start().catch(async (e: unknown) => {
    await hub.stop();
    throw e;
  });
  return { port, stop: () => hub.stop() };
}
