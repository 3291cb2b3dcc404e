import { formatRef, isSecret, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import { compareObjects } from './compare.js';
import type { DiffError } from './errors.js';
import type { IgnoreRule } from '../api/ignore-rules.js';
import type { JsonRecord } from './json.js';
import { unifiedDiff, yamlLines, type RenderOptions } from './render.js';
import { maskSecretPair } from './secret.js';

export type ChangeAction = 'create' | 'configure' | 'unchanged' | 'prune' | 'skip';

interface EntryBase {
  subject: ObjectRef;
  /**
   * JSON pointers to what differs, e.g. `/spec/replicas` or `/data/password` (a Secret key's
   * name, never its value). `""` alone means the whole object (create and prune).
   */
  changedPaths: readonly string[];
  /**
   * A unified diff of the YAML, live before desired, when the caller asked for text; empty when
   * unchanged or skipped. A prune carries a note instead: no value of a pruned object is shown.
   */
  diff: string;
}

export interface ChangedEntry extends EntryBase {
  action: 'create' | 'configure' | 'prune';
  /** Why, when the action alone would mislead (e.g. a create while the live object terminates). */
  reason?: string;
}

export interface UnchangedEntry extends EntryBase {
  action: 'unchanged';
}

export interface SkippedEntry extends EntryBase {
  action: 'skip';
  /** Why this object was not compared. */
  reason: string;
  error?: DiffError;
}

export type ChangeSetEntry = ChangedEntry | UnchangedEntry | SkippedEntry;

export interface ChangeSet {
  entries: ChangeSetEntry[];
}

export interface DiffOptions extends RenderOptions {
  /** Differences hidden from the comparison (from the Application's `ignoreDifferences`). */
  ignoreDifferences: readonly IgnoreRule[];
  /**
   * Whether entries carry their diff text. The controller compares on every reconcile and
   * drift event but prints no diff, and rendering both sides as YAML costs more than the
   * comparison, so it asks for changed paths only.
   */
  text: boolean;
}

export function defaultDiffOptions(): DiffOptions {
  return { ignoreDifferences: [], color: 'none', contextLines: 3, text: true };
}

const WHOLE_OBJECT = [''] as const;

/**
 * Compares an object as it should be with the object as it is (`live`, absent when it does not
 * exist yet). `desired` is normally the apiserver's server-side-apply dry run of the object, so
 * that defaults, quantities and list order match the live side and a structural comparison is
 * exact. Callers that have no dry run (a create that cannot be dry-run yet, a recreate) pass the
 * object as it will be applied; its diff then shows the whole object or the fields Git sets.
 */
export function diffObject(
  desired: KubeObject,
  live: KubeObject | undefined,
  options: DiffOptions = defaultDiffOptions(),
): ChangeSetEntry {
  const subject = refOf(desired);
  const comparison = compareObjects(desired, live, options.ignoreDifferences);
  switch (comparison.kind) {
    case 'failed': {
      const { error } = comparison;
      return { subject, action: 'skip', changedPaths: [], diff: '', reason: error.problem, error };
    }
    case 'missing':
      return {
        subject,
        action: 'create',
        changedPaths: WHOLE_OBJECT,
        diff: render(subject, undefined, comparison.desired, options),
      };
    case 'terminating':
      return {
        subject,
        action: 'create',
        changedPaths: WHOLE_OBJECT,
        diff: render(subject, undefined, comparison.desired, options),
        reason: 'the live object is being deleted; it will be created again once it is gone',
      };
    case 'compared': {
      const { changedPaths } = comparison;
      if (changedPaths.length === 0) return unchangedEntry(subject);
      const diff = render(subject, comparison.live, comparison.desired, options);
      return { subject, action: 'configure', changedPaths, diff };
    }
  }
}

/** An entry for an object known to need no change, without comparing anything. */
export function unchangedEntry(subject: ObjectRef): UnchangedEntry {
  return { subject, action: 'unchanged', changedPaths: [], diff: '' };
}

/**
 * An entry for an object that will be configured for a reason the comparison cannot see (kubectl's
 * fields taken over, an immutable field forcing a recreate, a blind create that met an existing
 * object). Its changed paths and diff text are kept.
 */
export function configureEntry(entry: ChangeSetEntry, reason: string): ChangedEntry {
  const { subject, changedPaths, diff } = entry;
  return { subject, action: 'configure', changedPaths, diff, reason };
}

/**
 * An entry for a live object that left Git and will be deleted. `note` is its text in place of
 * a diff (what will happen to it, or nothing), as no value of a pruned object is shown.
 */
export function pruneEntry(subject: ObjectRef, note: string): ChangedEntry {
  return { subject, action: 'prune', changedPaths: WHOLE_OBJECT, diff: note };
}

/** An entry for an object that could not be compared or is left alone, with the reason. */
export function skipEntry(subject: ObjectRef, reason: string): SkippedEntry {
  return { subject, action: 'skip', changedPaths: [], diff: '', reason };
}

/** Whether an entry changes the cluster: something to create, configure or prune. */
export function isChange(entry: ChangeSetEntry): entry is ChangedEntry {
  return entry.action === 'create' || entry.action === 'configure' || entry.action === 'prune';
}

/** What a drift check found in one object. */
export type Drift =
  | { kind: 'none' }
  /** `changedPaths` as in a change set entry: `[""]` when the object is gone or terminating. */
  | { kind: 'drifted'; changedPaths: readonly string[] };

// Policy: an object has drifted when, with server noise and the ignored fields hidden, what the
// apiserver would store differs from what it stores, or when it is absent or terminating. An
// object that cannot be compared has NOT drifted: self-heal must not fight over what it cannot
// judge; the change set shows it as skipped, with the reason. (A cheaper first test, before any
// dry run, is holdsDesired in subset.ts.)
export function driftOf(
  desired: KubeObject,
  live: KubeObject | undefined,
  rules: readonly IgnoreRule[],
): Drift {
  const comparison = compareObjects(desired, live, rules);
  switch (comparison.kind) {
    case 'failed':
      return { kind: 'none' };
    case 'missing':
    case 'terminating':
      return { kind: 'drifted', changedPaths: WHOLE_OBJECT };
    case 'compared':
      return comparison.changedPaths.length === 0
        ? { kind: 'none' }
        : { kind: 'drifted', changedPaths: comparison.changedPaths };
  }
}

// Policy: a change set needs a sync when anything would be created, configured or pruned. Skipped
// entries do not count: applying cannot fix what could not be compared.
export function needsSync(changeSet: ChangeSet): boolean {
  return changeSet.entries.some(isChange);
}

/** How many entries there are of each action: the one count every summary and status uses. */
export function countByAction(changeSet: ChangeSet): Record<ChangeAction, number> {
  const counts: Record<ChangeAction, number> = {
    create: 0,
    configure: 0,
    unchanged: 0,
    prune: 0,
    skip: 0,
  };
  for (const entry of changeSet.entries) counts[entry.action]++;
  return counts;
}

/** All diff texts of a change set, one after another, as `ballast diff` prints them. */
export function changeSetText(changeSet: ChangeSet): string {
  return changeSet.entries.map((e) => e.diff).join('');
}

function render(
  subject: ObjectRef,
  live: JsonRecord | undefined,
  desired: JsonRecord,
  options: RenderOptions & { text: boolean },
): string {
  if (!options.text) return '';
  // Secret values are replaced by markers before any text exists, so no code path can print them.
  if (isSecret(subject)) maskSecretPair(live, desired);
  const name = formatRef(subject);
  const labels = {
    before: live === undefined ? `${name} (absent)` : `${name} (live)`,
    after: `${name} (desired)`,
  };
  return unifiedDiff(yamlLines(live), yamlLines(desired), labels, options);
}
