import type { KubeObject } from '../api/object.js';
import { fieldManager } from '../cluster/cluster.js';

/**
 * Managers whose fields Ballast takes over. Fields they set stay co-owned after a server-side
 * apply, so removing such a field from Git would not remove it from the cluster, and a later
 * `kubectl edit` of it would not count against us. Taking them over makes both visible.
 */
export const takenOverManagers: readonly string[] = [
  'kubectl-client-side-apply',
  'kubectl-edit',
  'before-first-apply',
];

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
  time?: string;
}

function mergeFields(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    const bothObjects =
      typeof prev === 'object' && prev !== null && typeof v === 'object' && v !== null;
    out[k] = bothObjects
      ? mergeFields(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/**
 * Whether a live object has fields owned by kubectl's client-side managers. `before-first-apply`
 * alone does not count: the apiserver itself files fields it defaults on create (a Namespace's
 * `kubernetes.io/metadata.name` label) under it again after every takeover, so it is merged
 * in when there is a takeover anyway but never causes one.
 */
export function needsTakeover(live: KubeObject): boolean {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.some(
    (e) =>
      e.subresource === undefined &&
      e.manager !== 'before-first-apply' &&
      takenOverManagers.includes(e.manager ?? ''),
  );
}

/**
 * The managedFields with every taken-over manager's fields merged into Ballast's Apply entry
 * (created when absent). Pure; the caller patches it in under a resourceVersion precondition.
 */
export function takeOverManagedFields(live: KubeObject): ManagedFieldsEntry[] {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const isTaken = (e: ManagedFieldsEntry): boolean =>
    e.subresource === undefined && takenOverManagers.includes(e.manager ?? '');
  const taken = entries.filter(isTaken);
  const rest = entries.filter((e) => !isTaken(e));
  const oursIndex = rest.findIndex(
    (e) => e.manager === fieldManager && e.operation === 'Apply' && e.subresource === undefined,
  );
  let fields: Record<string, unknown> = oursIndex >= 0 ? (rest[oursIndex]?.fieldsV1 ?? {}) : {};
  for (const e of taken) fields = mergeFields(fields, e.fieldsV1 ?? {});
  const ours: ManagedFieldsEntry = {
    manager: fieldManager,
    operation: 'Apply',
    apiVersion: live.apiVersion,
    fieldsType: 'FieldsV1',
    fieldsV1: fields,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  if (oursIndex >= 0) rest[oursIndex] = ours;
  else rest.push(ours);
  return rest;
}
