import { refOf, type KubeObject } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import type { ApplyOutcome } from './execute.js';
import type { PlannedObject } from './plan.js';
import type { PruneOutcome } from './prune.js';
import { TRACKING_LABEL, trackingValue } from '../inventory/index.js';
import { applicationApiVersion } from '../api/application.js';

/** One object in an inventory: enough to find it again and delete it. */
export interface InventoryItem {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface StoredInventory {
  items: InventoryItem[];
  /** The ConfigMap's resourceVersion, so concurrent syncs of one app cannot both win. */
  resourceVersion?: string;
}

export const inventoryName = (app: { name: string }): string => `ballast-inventory-${app.name}`;

function configMap(app: { name: string; namespace: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: inventoryName(app), namespace: app.namespace },
  };
}

export function itemOf(o: KubeObject): InventoryItem {
  const r = refOf(o);
  return { apiVersion: o.apiVersion, kind: o.kind, namespace: r.namespace, name: r.name };
}

/** Parses the stored list; anything malformed is dropped rather than trusted. */
export function parseInventory(text: string | undefined): InventoryItem[] {
  if (text === undefined) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  return raw.filter((x): x is InventoryItem => {
    if (typeof x !== 'object' || x === null) return false;
    const i = x as Record<string, unknown>;
    return (
      typeof i.apiVersion === 'string' &&
      typeof i.kind === 'string' &&
      typeof i.namespace === 'string' &&
      typeof i.name === 'string'
    );
  });
}

export const itemKey = (i: InventoryItem): string =>
  `${i.apiVersion}|${i.kind}|${i.namespace}|${i.name}`;

/** The key of an object as the inventory records it. */
export const inventoryKey = (o: KubeObject): string => itemKey(itemOf(o));

/**
 * A record left by an earlier Application of the same name, deleted and not yet collected:
 * its objects are not this Application's to prune.
 */
function ownedByAnother(cm: KubeObject, uid: string | undefined): boolean {
  const owners = (cm.metadata.ownerReferences ?? []) as { uid?: string }[];
  return uid !== undefined && owners.length > 0 && !owners.some((o) => o.uid === uid);
}

/** The CLI keeps an app's inventory in ConfigMap `ballast-inventory-<name>` in its namespace. */
export async function readInventory(
  cluster: Cluster,
  app: { name: string; namespace: string; uid?: string },
): Promise<StoredInventory> {
  const cm = await cluster.get(configMap(app));
  if (cm === undefined || ownedByAnother(cm, app.uid)) return { items: [] };
  const data = cm.data as Record<string, string> | undefined;
  return {
    items: parseInventory(data?.objects),
    ...(cm.metadata.resourceVersion === undefined
      ? {}
      : { resourceVersion: cm.metadata.resourceVersion as string }),
  };
}

/**
 * Records what the app now owns: everything applied or unchanged, plus objects that should
 * have been pruned but could not be deleted (so the next sync retries them). Objects that
 * were never reached because an earlier batch failed keep their old inventory entries.
 */
export async function writeInventory(
  cluster: Cluster,
  app: { name: string; namespace: string; uid?: string },
  planned: readonly PlannedObject[],
  applied: readonly ApplyOutcome[],
  pruned: readonly PruneOutcome[],
  previous: StoredInventory,
): Promise<void> {
  const keep = new Map<string, InventoryItem>();
  for (const a of applied) {
    if (a.kind !== 'failed' || a.planned.live !== undefined)
      keep.set(itemKey(itemOf(a.planned.prepared.object)), itemOf(a.planned.prepared.object));
  }
  const reached = new Set(applied.map((a) => itemKey(itemOf(a.planned.prepared.object))));
  const desired = new Set(planned.map((p) => itemKey(itemOf(p.prepared.object))));
  for (const old of previous.items) {
    const k = itemKey(old);
    const notReached = desired.has(k) && !reached.has(k);
    const prunePending =
      !desired.has(k) && !pruned.some((p) => p.kind === 'deleted' && itemKey(p.item) === k);
    if (notReached || prunePending) keep.set(k, old);
  }
  const items = [...keep.values()].sort((a, b) => itemKey(a).localeCompare(itemKey(b)));
  // An unchanged inventory is not rewritten, so a no-change sync writes nothing at all.
  if (
    previous.resourceVersion !== undefined &&
    JSON.stringify(items) === JSON.stringify(previous.items)
  )
    return;
  const cm = {
    ...configMap(app),
    metadata: {
      ...configMap(app).metadata,
      labels: { [TRACKING_LABEL]: trackingValue(app), 'app.kubernetes.io/managed-by': 'ballast' },
      ...(app.uid === undefined
        ? {}
        : {
            ownerReferences: [
              {
                apiVersion: applicationApiVersion,
                kind: 'Application',
                name: app.name,
                uid: app.uid,
              },
            ],
          }),
    },
    data: { objects: JSON.stringify(items) },
  };
  await cluster.apply(cm);
}
