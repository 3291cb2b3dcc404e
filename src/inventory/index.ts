export { InventoryParseError } from './errors.js';
export { compareRefs, emptyInventory, inventoryOf, type Inventory } from './inventory.js';
export { planPrune, type KeepReason, type PrunePlan, type PrunePlanInput } from './plan.js';
export {
  formatInventory,
  inventoryText,
  parseInventory,
  type InventoryParseResult,
} from './serialize.js';
export {
  APPLICATION_ID_ANNOTATION,
  describeOwner,
  formatTrackingValue,
  hasTrackingLabel,
  isPruneDisabled,
  isTrackedBy,
  ownerName,
  ownerOf,
  parseTrackingValue,
  PRUNE_ANNOTATION,
  TRACKING_LABEL,
  trackingMetadata,
  type ApplicationId,
} from './tracking.js';
