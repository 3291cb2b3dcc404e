import type { ApplicationStatus } from '../api/application.js';
import { refKey, refOf } from '../api/object.js';
import type { SyncResult } from '../apply/sync.js';
import { countByAction, needsSync } from '../diff/index.js';
import type { HealthReport } from '../health/index.js';
import type { AppHealth, ObservedApp } from './observed.js';
import { appendHistory } from './status.js';

export type { AppHealth } from './observed.js';

/**
 * Health of every object the sync applied, from what the apiserver answered (the sync fed each
 * answer to `observed` through onStored) and what watch events reported since, whichever is
 * newer: no extra reads.
 */
export function assess(
  observed: ObservedApp,
  result: Extract<SyncResult, { kind: 'done' }>,
): AppHealth {
  return observed.healthOf(result.live.map(refOf));
}

/** The status after one pass: sync state, health, resources and history (the sync recorded the inventory). */
export function statusAfterSync(
  status: ApplicationStatus,
  result: Extract<SyncResult, { kind: 'done' }>,
  sha: string,
  automated: boolean,
  health: AppHealth,
): ApplicationStatus {
  const n = countByAction(result.changeSet);
  const synced = automated || !needsSync(result.changeSet);
  const counts = {
    created: n.create,
    configured: n.configure,
    unchanged: n.unchanged,
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
    ...(automated ? { lastSyncedRevision: sha } : {}),
    ...(applied || status.history === undefined
      ? {
          history: appendHistory(status.history ?? [], {
            revision: sha,
            result: 'Succeeded',
            ...signerOf(status, sha),
            counts,
          }),
        }
      : {}),
  };
}

/** The signer of this commit, when the pass verified and trusted it. */
function signerOf(status: ApplicationStatus, sha: string): { signer?: string } {
  const v = status.verification;
  return v?.revision === sha && v.result === 'Trusted' && v.signer !== undefined
    ? { signer: v.signer }
    : {};
}

function resourceHealth(
  health: AppHealth,
  subject: Parameters<typeof refKey>[0],
): { health?: { status: HealthReport['status']; message: string } } {
  const h = health.byObject.get(refKey(subject));
  return h === undefined ? {} : { health: { status: h.status, message: h.message } };
}
