export {
  changeSetText,
  configureEntry,
  countByAction,
  defaultDiffOptions,
  diffObject,
  driftOf,
  isChange,
  needsSync,
  pruneEntry,
  skipEntry,
  unchangedEntry,
  type ChangeAction,
  type ChangedEntry,
  type ChangeSet,
  type ChangeSetEntry,
  type DiffOptions,
  type Drift,
  type SkippedEntry,
  type UnchangedEntry,
} from './changeset.js';
export { changedPaths, compareObjects, isTerminating, type Comparison } from './compare.js';
export { DiffError } from './errors.js';
export { jsonEqual } from './json.js';
export { diffLines, type Edit } from './linediff.js';
export { MASK, maskSecretPair } from './secret.js';
export { FieldOwners, ownsPath } from './owner.js';
export { appliesNothing, holdsDesired } from './subset.js';
