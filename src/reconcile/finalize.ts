import type { Application } from '../api/application.js';
import { groupedErrors } from '../apply/errors.js';
import { defaultSyncOptions, sync } from '../apply/sync.js';
import { statusInventory } from '../apply/store.js';
import { appId } from './stage.js';
import type { Cluster } from '../cluster/cluster.js';

/**
 * Held on an Application whose `spec.syncPolicy.pruneOnDelete` is set, so its deletion waits
 * for the controller to prune the managed objects, as Argo CD's resources finalizer does.
 * Without it, deleting an Application leaves its objects, and the garbage collector removes
 * the inventory record, which the Application owns; no write is spent on a finalizer.
 */
export const FINALIZER = 'ballast.dev/finalizer';

export const hasFinalizer = (app: Application): boolean =>
  (app.metadata.finalizers ?? []).includes(FINALIZER);

export const isDeleting = (app: Application): boolean =>
  app.metadata.deletionTimestamp !== undefined;

/**
 * Adds the finalizer. The patch tests resourceVersion, so a concurrent edit of the list
 * (another controller's finalizer) fails with a conflict and is retried, never overwritten.
 */
export async function addFinalizer(cluster: Cluster, app: Application): Promise<Application> {
  const list = app.metadata.finalizers;
  const ops = [
    { op: 'test', path: '/metadata/resourceVersion', value: app.metadata.resourceVersion },
    list === undefined
      ? { op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }
      : { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER },
  ];
  const patched = await cluster.jsonPatch(app, ops);
  // The spec did not change; only the metadata the next patch must test against did.
  return {
    ...app,
    metadata: {
      ...app.metadata,
      resourceVersion: patched.metadata.resourceVersion as string,
      finalizers: patched.metadata.finalizers as string[],
    },
  };
}

async function removeFinalizer(cluster: Cluster, app: Application): Promise<void> {
  const list = app.metadata.finalizers ?? [];
  const index = list.indexOf(FINALIZER);
  if (index < 0) return;
  await cluster.jsonPatch(app, [
    { op: 'test', path: '/metadata/resourceVersion', value: app.metadata.resourceVersion },
    { op: 'test', path: `/metadata/finalizers/${index}`, value: FINALIZER },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ]);
}

export type FinalizeResult =
  { kind: 'released'; pruned: number } | { kind: 'failed'; error: Error; pruned: number };

/**
 * Cleans up after a deleted Application. With pruneOnDelete, syncing an empty desired set
 * prunes exactly what the inventory says the app created (objects that lost the tracking label
 * or are annotated `ballast.dev/prune: disabled` stay). Then the finalizer is released; the
 * inventory, kept in the Application's status, goes with it. A failed prune keeps the
 * finalizer, so the deletion is retried.
 */
export async function finalizeApplication(
  clients: {
    /** Ours, for the finalizer. */
    cluster: Cluster;
    /** The Application's own identity, for the prune. */
    acting: Cluster;
  },
  app: Application,
): Promise<FinalizeResult> {
  const { cluster, acting } = clients;
  const id = appId(app, app.status);
  let pruned = 0;
  if (app.spec.syncPolicy.pruneOnDelete) {
    const result = await sync(
      acting,
      {
        app: id,
        defaultNamespace: app.spec.destination.namespace,
        objects: [],
        // The Application is going, so what is left of its inventory is not recorded anywhere.
        inventory: statusInventory(id, () => undefined),
      },
      { ...defaultSyncOptions(), prune: true },
    );
    const errors = result.errors;
    if (result.kind === 'done') pruned = result.pruned.filter((p) => p.kind === 'deleted').length;
    if (errors.length > 0) {
      const message = groupedErrors(errors).join('; ');
      return { kind: 'failed', error: new Error(`pruning on delete: ${message}`), pruned };
    }
  }
  await removeFinalizer(cluster, app);
  return { kind: 'released', pruned };
}
