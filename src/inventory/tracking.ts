import type { ApplicationId } from '../api/app-key.js';
import type { KubeObject } from '../api/object.js';
import { isOwnedBy } from '../api/tracking.js';

export type { ApplicationId } from '../api/app-key.js';
export {
  APPLICATION_ID_ANNOTATION,
  describeOwner,
  formatTrackingValue,
  hasTrackingLabel,
  ownerName,
  ownerOf,
  parseTrackingValue,
  TRACKING_LABEL,
  trackingMetadata,
} from '../api/tracking.js';

/** The annotation that keeps an object from ever being pruned: `ballast.dev/prune: disabled`. */
export const PRUNE_ANNOTATION = 'ballast.dev/prune';

// Policy: an object belongs to an Application only if it carries the tracking label with
// exactly that Application's value (and, when the value is hashed, the identity annotation
// naming it; see api/tracking.ts). Being listed in an inventory is not enough: the label is
// what a human sees and can remove to take an object away from Ballast.
export function isTrackedBy(obj: KubeObject, app: ApplicationId): boolean {
  return isOwnedBy(obj, app);
}

// Policy: `ballast.dev/prune: disabled` keeps an object forever, even once it leaves Git.
// Case and surrounding space are forgiven ("Disabled"): when someone meant to protect an
// object, a spelling slip must not turn into a deletion.
export function isPruneDisabled(obj: KubeObject): boolean {
  return obj.metadata.annotations?.[PRUNE_ANNOTATION]?.trim().toLowerCase() === 'disabled';
}
