import { formatRef, refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import { compareObjects } from './compare.js';
import type { DiffError } from './errors.js';
import type { IgnoreRule } from './ignore.js';
import type { JsonRecord } from './json.js';
import { normalizeForDiff } from './normalize.js';
import { unifiedDiff, yamlLines, type RenderOptions } from './render.js';
import { isSecret, maskSecretPair } from './secret.js';

export type ChangeAction = 'create' | 'configure' | 'unchanged' | 'prune' | 'skip';

interface EntryBase {
  subject: ObjectRef;
  /**
   * JSON pointers to what differs, e.g. `/spec/replicas` or `/data/password` (a Secret key's
   * name, never its value). `""` alone means the whole object (create and prune).
   */
  changedPaths: readonly string[];
  /** A unified diff of the YAML, live before desired; empty when unchanged or skipped. */
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

/** What the reconciler hands over: dry-run results with their live objects, and what to prune. */
export interface ChangeSetInput {
  /** Each desired object as the server-side-apply dry-run returned it, and its live object if any. */
  desired: readonly { dryRun: KubeObject; live: KubeObject | undefined }[];
  /** Live objects the inventory decided to prune (see inventory/planPrune). */
  prune: readonly KubeObject[];
}

const WHOLE_OBJECT = [''] as const;

/** Compares one dry-run result with its live object (absent when it does not exist yet). */
export function diffObject(
  dryRun: KubeObject,
  live: KubeObject | undefined,
  options: DiffOptions = defaultDiffOptions(),
): ChangeSetEntry {
  const subject = refOf(dryRun);
  const comparison = compareObjects(dryRun, live, options.ignoreDifferences);
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
      if (changedPaths.length === 0)
        return { subject, action: 'unchanged', changedPaths, diff: '' };
      const diff = render(subject, comparison.live, comparison.desired, options);
      return { subject, action: 'configure', changedPaths, diff };
    }
  }
}

/** An entry for a live object that will be deleted: its whole YAML as removed lines. */
export function pruneEntry(
  live: KubeObject,
  options: DiffOptions = defaultDiffOptions(),
): ChangeSetEntry {
  const subject = refOf(live);
  const diff = render(subject, normalizeForDiff(live), undefined, options);
  return { subject, action: 'prune', changedPaths: WHOLE_OBJECT, diff };
}

/** An entry for an object that could not be compared, e.g. because its dry-run was refused. */
export function skipEntry(subject: ObjectRef, reason: string): ChangeSetEntry {
  return { subject, action: 'skip', changedPaths: [], diff: '', reason };
}

/**
 * The change set of one reconcile, desired objects first in the order given, then prunes.
 * A prune candidate that is also desired is dropped: the desired entry already covers it, and
 * deleting what was just applied is never the intent.
 */
export function buildChangeSet(
  input: ChangeSetInput,
  options: DiffOptions = defaultDiffOptions(),
): ChangeSet {
  const desiredKeys = new Set(input.desired.map(({ dryRun }) => refKey(refOf(dryRun))));
  const entries = input.desired.map(({ dryRun, live }) => diffObject(dryRun, live, options));
  for (const live of input.prune) {
    if (!desiredKeys.has(refKey(refOf(live)))) entries.push(pruneEntry(live, options));
  }
  return { entries };
}

// Policy: an object has drifted when, with server noise and the ignored fields hidden, what the
// apiserver would store differs from what it stores, or when it is absent or terminating. An
// object that cannot be compared has NOT drifted: self-heal must not fight over what it cannot
// judge; the change set shows it as skipped, with the reason.
export function hasDrifted(
  desired: KubeObject,
  live: KubeObject | undefined,
  rules: readonly IgnoreRule[],
): boolean {
  const comparison = compareObjects(desired, live, rules);
  if (comparison.kind === 'failed') return false;
  return comparison.kind !== 'compared' || comparison.changedPaths.length > 0;
}

// Policy: a change set needs a sync when anything would be created, configured or pruned. Skipped
// entries do not count: applying cannot fix what could not be compared.
export function needsSync(changeSet: ChangeSet): boolean {
  return changeSet.entries.some(
    (e) => e.action === 'create' || e.action === 'configure' || e.action === 'prune',
  );
}

/** How many entries there are of each action, for a one-line summary. */
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
  desired: JsonRecord | undefined,
  options: RenderOptions & { text: boolean },
): string {
  if (!options.text) return '';
  // Secret values are replaced by markers before any text exists, so no code path can print them.
  if (isSecret(subject)) maskSecretPair(live, desired);
  const name = formatRef(subject);
  const labels = {
    before: live === undefined ? `${name} (absent)` : `${name} (live)`,
    after: desired === undefined ? `${name} (pruned)` : `${name} (desired)`,
  };
  return unifiedDiff(yamlLines(live), yamlLines(desired), labels, options);
}
