import type { ApplicationStatus } from '../api/application.js';
import { refKey, refOf, type KubeObject } from '../api/object.js';
import type { SyncResult } from '../apply/sync.js';
import type { Cluster } from '../cluster/cluster.js';
import { aggregateHealth, assessHealth, type HealthReport } from '../health/index.js';
import { formatInventory, inventoryOf } from '../inventory/index.js';
import { appendHistory } from './status.js';

/** The app's health, and each object's by refKey for status.resources. */
export interface AppHealth {
  status: HealthReport['status'];
  message: string;
  byObject: ReadonlyMap<string, HealthReport>;
}

/** Health of every object the sync applied, read live. */
export async function assess(
  cluster: Cluster,
  result: Extract<SyncResult, { kind: 'done' }>,
): Promise<AppHealth> {
  const items = await Promise.all(
    result.live.map(async (o: KubeObject) => ({
      subject: refOf(o),
      health: assessHealth(await cluster.get(o)),
    })),
  );
  const report = aggregateHealth(items);
  return { ...report, byObject: new Map(items.map((i) => [refKey(i.subject), i.health])) };
}

/** The status after one pass: sync state, health, resources, inventory and history. */
export function statusAfterSync(
  status: ApplicationStatus,
  result: Extract<SyncResult, { kind: 'done' }>,
  sha: string,
  automated: boolean,
  health: AppHealth,
): ApplicationStatus {
  const count = (a: string): number =>
    result.changeSet.entries.filter((e) => e.action === a).length;
  const outOfSync = result.changeSet.entries.some(
    (e) => e.action === 'create' || e.action === 'configure' || e.action === 'prune',
  );
  const synced = automated || !outOfSync;
  const counts = {
    created: count('create'),
    configured: count('configure'),
    unchanged: count('unchanged'),
    pruned: result.pruned.filter((p) => p.kind === 'deleted').length,
  };
  const applied = automated && counts.created + counts.configured + counts.pruned > 0;
  return {
    ...status,
    sync: { status: synced ? 'Synced' : 'OutOfSync', revision: sha },
    health: { status: health.status, message: health.message },
    resources: result.changeSet.entries.map((e) => ({
      group: e.subject.group,
      kind: e.subject.kind,
      namespace: e.subject.namespace,
      name: e.subject.name,
      status: automated || e.action === 'unchanged' ? 'Synced' : 'OutOfSync',
      ...resourceHealth(health, e.subject),
    })),
    inventory: formatInventory(
      inventoryOf(
        result.changeSet.entries.filter((e) => e.action !== 'prune').map((e) => e.subject),
      ),
    ),
    ...(automated ? { lastSyncedRevision: sha } : {}),
    ...(applied || status.history === undefined
      ? {
          history: appendHistory(status.history ?? [], {
            revision: sha,
            result: 'Succeeded',
            counts,
          }),
        }
      : {}),
  };
}

function resourceHealth(
  health: AppHealth,
  subject: Parameters<typeof refKey>[0],
): { health?: { status: HealthReport['status']; message: string } } {
  const h = health.byObject.get(refKey(subject));
  return h === undefined ? {} : { health: { status: h.status, message: h.message } };
}
