import type { KubeObject } from '../api/object.js';

/** The label that marks an object as created by one Application: `<namespace>.<name>`. */
export const TRACKING_LABEL = 'ballast.dev/application';

/** The annotation that keeps an object from ever being pruned: `ballast.dev/prune: disabled`. */
export const PRUNE_ANNOTATION = 'ballast.dev/prune';

/** An Application's identity. */
export interface ApplicationId {
  namespace: string;
  name: string;
}

/**
 * The tracking label value for an Application. A namespace is a DNS label and has no dots, so
 * the first dot separates it from the name. Note that a label value holds at most 63
 * characters; longer namespace + name pairs cannot be tracked (and so are never pruned).
 */
export function trackingValue(app: ApplicationId): string {
  return `${app.namespace}.${app.name}`;
}

/** The Application a tracking label names, or undefined when the value is not one. */
export function parseTrackingValue(value: unknown): ApplicationId | undefined {
  if (typeof value !== 'string') return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0 || dot === value.length - 1) return undefined;
  return { namespace: value.slice(0, dot), name: value.slice(dot + 1) };
}

// Policy: an object belongs to an Application only if it carries the tracking label with
// exactly that Application's value. Being listed in an inventory is not enough: the label is
// what a human sees and can remove to take an object away from Ballast.
export function isTrackedBy(obj: KubeObject, app: ApplicationId): boolean {
  return obj.metadata.labels?.[TRACKING_LABEL] === trackingValue(app);
}

// Policy: `ballast.dev/prune: disabled` keeps an object forever, even once it leaves Git.
// Case and surrounding space are forgiven ("Disabled"): when someone meant to protect an
// object, a spelling slip must not turn into a deletion.
export function isPruneDisabled(obj: KubeObject): boolean {
  return obj.metadata.annotations?.[PRUNE_ANNOTATION]?.trim().toLowerCase() === 'disabled';
}
