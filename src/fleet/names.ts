import { createHash } from 'node:crypto';
import { formatAppKey } from '../api/app-key.js';

/** Where Clusters live on the hub unless `--fleet-namespace` says otherwise. */
export const defaultFleetNamespace = 'ballast-fleet';

/**
 * The Lease each agent renews in its Cluster's hub namespace: the hub reads it as the heartbeat,
 * and the registration grants the cluster's identity an update of this one name.
 */
export const agentLeaseName = 'ballast-agent';

/** Each Cluster's own hub namespace is this prefix and its name: Assignments and its Lease live there. */
export const clusterNamespacePrefix = 'ballast-cluster-';

/** A namespace name is a DNS label of at most 63 characters, so the prefix leaves 47 for the Cluster. */
export const maxClusterNameLength = 63 - clusterNamespacePrefix.length;

export const clusterNameRegex = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** The hub namespace of a Cluster: `ballast-cluster-<name>`. */
export function clusterNamespace(cluster: string): string {
  return `${clusterNamespacePrefix}${cluster}`;
}

/** Labels every Assignment carries, so the hub and kubectl can select them. */
export const assignmentLabels = {
  /** The Cluster's name (at most 47 characters, so always a valid label value). */
  cluster: 'ballast.dev/cluster',
  /** The FleetApplication's namespace (a DNS label, so always a valid label value). */
  fleetNamespace: 'ballast.dev/fleet-namespace',
  /** The FleetApplication's name, shortened by `labelValueFor` when longer than 63 characters. */
  fleetName: 'ballast.dev/fleet-name',
} as const;

/** The full `namespace/name` of the FleetApplication, which a label value may be too short for. */
export const fleetApplicationAnnotation = 'ballast.dev/fleet-application';

/** On a FleetApplication: what `ballast fleet rollout` asked for, and who asked. */
export const rolloutAnnotations = {
  /** `<revision>/<group>`: skip that group's wait in the rollout of that revision. */
  promote: 'ballast.dev/rollout-promote',
  /** Who asked for the last rollout action, held to the authenticated user by admission. */
  requestedBy: 'ballast.dev/requested-by',
} as const;

/** On an Assignment: when the hub pinned its current commit, RFC 3339; progressDeadline counts from it. */
export const pinnedAtAnnotation = 'ballast.dev/pinned-at';

/** Re-exported: the substitution itself lives in render/, which reconcile/ may import. */
export { substituteAnnotation } from '../render/substitute.js';

function digest(text: string, hexChars: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, hexChars);
}

/** A prefix that can be followed by `-`: a cut that ends in `.` or `-` would leave `.-` or `--`. */
function cleanCut(text: string, length: number): string {
  const cut = text.slice(0, length);
  return /[a-z0-9]$/.test(cut) ? cut : `${cut.slice(0, -1)}x`;
}

/** Longest Assignment name kept whole; longer ones are cut and end in a hash (always 253 long). */
const wholeNameLimit = 220;
const nameHashChars = 32;

/**
 * The name of the Assignment of FleetApplication `namespace/name`, the same in every cluster's
 * namespace. `namespace.name` is unambiguous, since a namespace holds no dot. Past 220
 * characters it is cut and a 128-bit hash of the whole pair appended, making it exactly 253
 * long: no whole name is that long, so a tenant cannot pick a name equal to another tenant's
 * hashed one and overwrite its Assignment.
 */
export function assignmentName(namespace: string, name: string): string {
  const whole = `${namespace}.${name}`;
  if (whole.length <= wholeNameLimit) return whole;
  const suffix = `-${digest(formatAppKey({ namespace, name }), nameHashChars)}`;
  return `${cleanCut(whole, 253 - suffix.length)}${suffix}`;
}

/**
 * A label value standing for a name of up to 253 characters: the name itself when it fits in
 * 63, else a cut of it and a hash. Only for selecting; the full name is in the annotation and spec.
 */
export function labelValueFor(name: string): string {
  if (name.length <= 63) return name;
  const suffix = `-${digest(name, 16)}`;
  return `${cleanCut(name, 63 - suffix.length)}${suffix}`;
}
