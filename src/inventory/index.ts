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
  isPruneDisabled,
  isTrackedBy,
  parseTrackingValue,
  PRUNE_ANNOTATION,
  TRACKING_LABEL,
  trackingValue,
  type ApplicationId,
} from './tracking.js';
