import type { KubeObject } from '../api/object.js';

/**
 * What makes a change to an Application mean "reconcile now": its generation (a spec change),
 * the `ballast.dev/refresh` and `ballast.dev/sync` annotations a person or the CLI sets, and
 * the start of its deletion. Two triggers are compared, never shown; the annotation values are
 * tenant-written and may hold any character, so the parts are kept apart by JSON rather than by
 * a separator one of them could contain.
 */
export interface TriggerParts {
  generation: string;
  refresh: string;
  sync: string;
  deleting: boolean;
}

/** A trigger as the controller keeps it: built only by `formatTrigger`. */
export type Trigger = string & { readonly __brand: 'Trigger' };

export function triggerPartsOf(app: KubeObject): TriggerParts {
  const a = app.metadata.annotations ?? {};
  return {
    generation: String(app.metadata.generation),
    refresh: a['ballast.dev/refresh'] ?? '',
    sync: a['ballast.dev/sync'] ?? '',
    deleting: app.metadata['deletionTimestamp'] !== undefined,
  };
}

export function formatTrigger(p: TriggerParts): Trigger {
  return JSON.stringify([p.generation, p.refresh, p.sync, p.deleting]) as Trigger;
}

/** The parts of a trigger, or undefined when `value` is not one `formatTrigger` built. */
export function parseTrigger(value: string): TriggerParts | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) return undefined;
  const [generation, refresh, sync, deleting] = parsed as unknown[];
  return typeof generation === 'string' &&
    typeof refresh === 'string' &&
    typeof sync === 'string' &&
    typeof deleting === 'boolean'
    ? { generation, refresh, sync, deleting }
    : undefined;
}

/** The trigger of an Application as a list or watch event shows it. */
export function triggerOf(app: KubeObject): Trigger {
  return formatTrigger(triggerPartsOf(app));
}
