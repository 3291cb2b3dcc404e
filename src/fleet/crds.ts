import type { KubeObject } from '../api/object.js';
import { crdOf } from '../api/resource.js';
import { assignmentResource } from './assignment.js';
import { clusterResource } from './cluster.js';
import { fleetApplicationResource } from './fleet-application.js';

/** The fleet's kinds, in the order a hub installs them. */
export const fleetResources = [
  clusterResource,
  fleetApplicationResource,
  assignmentResource,
] as const;

/**
 * The CustomResourceDefinitions of Cluster, FleetApplication and Assignment, generated from the
 * schemas their types come from. `ballast install` applies them beside the Application's.
 */
export function fleetCrds(): KubeObject[] {
  return fleetResources.map((k) => crdOf(k));
}
