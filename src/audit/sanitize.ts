import { isSecret, type ObjectRef } from '../api/object.js';
import type { AuditEntry, ObjectAction, ObjectChange, SafePath } from './types.js';

/** What every change under a Secret's `data` or `stringData` is recorded as: no key, no value. */
export const secretDataChanged = 'data changed' as SafePath;

const secretDataRoots = ['/data', '/stringData'] as const;

function underSecretData(path: string): boolean {
  return secretDataRoots.some((root) => path === root || path.startsWith(`${root}/`));
}

/**
 * The paths of a change as the ledger may hold them. For a core Secret, any path under `data` or
 * `stringData` (which would name a key, and in careless hands carry a value) collapses into one
 * `data changed`, placed where the first of them was. Idempotent, so stores may re-apply it.
 */
export function safePaths(ref: ObjectRef, paths: readonly string[]): SafePath[] {
  if (!isSecret(ref)) return [...new Set(paths)] as SafePath[];
  const out: SafePath[] = [];
  for (const p of paths) {
    const safe = underSecretData(p) ? secretDataChanged : (p as SafePath);
    if (!out.includes(safe)) out.push(safe);
  }
  return out;
}

/** A diff/ ChangeSet entry (or anything shaped like one) as a ledger object change. */
export function objectChange(entry: {
  subject: ObjectRef;
  action: ObjectAction;
  changedPaths: readonly string[];
}): ObjectChange {
  return {
    ref: { ...entry.subject },
    action: entry.action,
    paths: safePaths(entry.subject, entry.changedPaths),
  };
}

/**
 * The entry with every path run through `safePaths` again. The types already force callers
 * through the sanitizer; this guards the store against a cast or a plain-JavaScript caller.
 */
export function sanitizeEntry<E extends AuditEntry>(entry: E): E {
  switch (entry.kind) {
    case 'sync-applied':
      return {
        ...entry,
        changes: entry.changes.map((c) => ({ ...c, paths: safePaths(c.ref, c.paths) })),
      };
    case 'drift-detected':
    case 'drift-reverted':
      return { ...entry, paths: safePaths(entry.object, entry.paths) };
    default:
      return entry;
  }
}
