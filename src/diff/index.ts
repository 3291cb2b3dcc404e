export {
  buildChangeSet,
  changeSetText,
  countByAction,
  defaultDiffOptions,
  diffObject,
  hasDrifted,
  needsSync,
  pruneEntry,
  skipEntry,
  type ChangeAction,
  type ChangedEntry,
  type ChangeSet,
  type ChangeSetEntry,
  type ChangeSetInput,
  type DiffOptions,
  type SkippedEntry,
  type UnchangedEntry,
} from './changeset.js';
export { changedPaths, compareObjects, isTerminating, type Comparison } from './compare.js';
export { DiffError } from './errors.js';
export {
  parseIgnoreRules,
  ruleMatches,
  type IgnoreRule,
  type IgnoreRulesResult,
  type ResourceMatch,
} from './ignore.js';
export { jsonEqual } from './json.js';
export { diffLines, type Edit } from './linediff.js';
export { MASK } from './secret.js';
export { appliesNothing, holdsDesired } from './subset.js';
