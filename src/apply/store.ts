import { groupOf, refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import type { ApplyOutcome } from './execute.js';
import type { PlannedObject } from './plan.js';
import type { PruneOutcome } from './prune.js';
import {
  formatInventory,
  inventoryOf,
  inventoryText,
  parseInventory,
  trackingMetadata,
  type Inventory,
} from '../inventory/index.js';

/**
 * Where an Application's inventory lives between syncs. The controller keeps it in the
 * Application's `status.inventory`, written with the rest of the status; the CLI, which may
 * have no Application object, keeps it in a ConfigMap.
 */
export interface InventoryStore {
  /** What the last sync applied. Rejects when the record cannot be read whole. */
  read(): Promise<Inventory>;
  /** Records what the app owns now. */
  write(next: Inventory, previous: Inventory): Promise<void>;
}

export const inventoryName = (app: { name: string }): string => `ballast-inventory-${app.name}`;

/** The key of an object as the inventory records it: no version, so a version bump is no move. */
export const inventoryKey = (o: KubeObject): string => refKey(refOf(o));

/** Before the `inventory` text, the ConfigMap held `objects`: JSON with an apiVersion per object. */
function legacyEntries(text: string): unknown {
  const raw = JSON.parse(text) as unknown;
  if (!Array.isArray(raw)) return raw;
  return raw.map((x: Record<string, unknown>) => {
    const { apiVersion, kind, namespace, name } = x;
    if (![apiVersion, kind, namespace, name].every((f) => typeof f === 'string')) return x;
    const ref = {
      group: groupOf(apiVersion as string),
      kind: kind as string,
      namespace: namespace as string,
      name: name as string,
    };
    return formatInventory({ entries: [ref] })[0];
  });
}

function parseRecord(where: string, input: unknown): Inventory {
  const parsed = parseInventory(input);
  if (parsed.kind === 'ok') return parsed.value;
  throw new Error(
    `${where}: ${parsed.error.message}. Nothing was applied: a partly read inventory would leave objects unprunable. Repair the entry, or delete the record to start over (objects it listed are then no longer pruned).`,
    { cause: parsed.error },
  );
}

/** The CLI's inventory: ConfigMap `ballast-inventory-<name>` in the app's namespace. */
export function configMapInventory(
  cluster: Cluster,
  app: { name: string; namespace: string },
): InventoryStore {
  const ref = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: inventoryName(app), namespace: app.namespace },
  };
  const where = `ConfigMap ${app.namespace}/${inventoryName(app)}`;
  const tracking = trackingMetadata(app);
  let stored = false;
  return {
    async read() {
      const cm = await cluster.get(ref);
      if (cm === undefined) return inventoryOf([]);
      stored = true;
      const data = (cm.data ?? {}) as Record<string, string | undefined>;
      if (data.inventory !== undefined) return parseRecord(where, data.inventory);
      if (data.objects === undefined) return inventoryOf([]);
      let entries: unknown;
      try {
        entries = legacyEntries(data.objects);
      } catch (e) {
        throw new Error(`${where}: data.objects is not JSON. Delete the ConfigMap to start over.`, {
          cause: e,
        });
      }
      return parseRecord(where, entries);
    },
    async write(next, previous) {
      // An unchanged inventory is not rewritten, so a no-change sync writes nothing at all.
      if (stored && inventoryText(next) === inventoryText(previous)) return;
      await cluster.apply({
        ...ref,
        metadata: {
          ...ref.metadata,
          labels: { ...tracking.labels, 'app.kubernetes.io/managed-by': 'ballast' },
          ...(Object.keys(tracking.annotations).length > 0
            ? { annotations: tracking.annotations }
            : {}),
        },
        data: { inventory: inventoryText(next) },
      });
      stored = true;
    },
  };
}

/**
 * The inventory kept in an Application's `status.inventory`: read from the Application as the
 * reconcile loaded it, and handed to `record`, which puts it in the status the reconcile
 * writes. No request of its own.
 */
export function statusInventory(
  app: { name: string; namespace: string; status?: { inventory?: readonly string[] } },
  record: (next: Inventory) => void,
): InventoryStore {
  const where = `Application ${app.namespace}/${app.name} status.inventory`;
  return {
    // A malformed record is a rejection, not a throw, as from any store.
    read: () =>
      new Promise((resolve) => {
        resolve(parseRecord(where, app.status?.inventory ?? []));
      }),
    write: (next) => {
      record(next);
      return Promise.resolve();
    },
  };
}

/**
 * What the app owns after a sync: everything applied or unchanged, plus objects that should
 * have been pruned but could not be deleted (so the next sync retries them). Objects never
 * reached because an earlier batch failed keep their old entries. Entries whose object is
 * confirmed gone are dropped.
 */
export function nextInventory(
  planned: readonly PlannedObject[],
  applied: readonly ApplyOutcome[],
  pruned: readonly PruneOutcome[],
  gone: readonly ObjectRef[],
  previous: Inventory,
): Inventory {
  const keep: ObjectRef[] = [];
  for (const a of applied) {
    if (a.kind !== 'failed' || a.planned.live !== undefined)
      keep.push(refOf(a.planned.prepared.object));
  }
  const reached = new Set(applied.map((a) => inventoryKey(a.planned.prepared.object)));
  const desired = new Set(planned.map((p) => inventoryKey(p.prepared.object)));
  const dropped = new Set([
    ...gone.map(refKey),
    ...pruned.flatMap((p) => (p.kind === 'deleted' ? [refKey(p.ref)] : [])),
  ]);
  for (const old of previous.entries) {
    const k = refKey(old);
    const notReached = desired.has(k) && !reached.has(k);
    const prunePending = !desired.has(k) && !dropped.has(k);
    if (notReached || prunePending) keep.push(old);
  }
  return inventoryOf(keep);
}
