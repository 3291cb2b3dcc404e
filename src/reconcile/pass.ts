import type { Application, ApplicationStatus, ConditionType } from '../api/application.js';
import type { Cluster } from '../cluster/cluster.js';
import { jsonEqual } from '../diff/index.js';
import { recordsFor, type AuditedPass, type AuditSink } from './audit.js';
import { setCondition, writeStatus } from './status.js';

/** The status one reconcile builds up, and what it tells the ledger. */
export class Pass {
  status: ApplicationStatus;
  audited: AuditedPass = { kind: 'failed' };

  /** Replaced once when the finalizer is added: later patches test its resourceVersion. */
  app: Application;

  constructor(app: Application) {
    this.app = app;
    const generation = app.metadata.generation;
    this.status = {
      ...(app.status ?? {}),
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    };
  }

  cond(t: ConditionType, s: 'True' | 'False', reason: string, message: string): void {
    const conditions = this.status.conditions ?? [];
    const gen = this.app.metadata.generation;
    this.status = {
      ...this.status,
      conditions: setCondition(conditions, t, s, reason, message, gen),
    };
  }

  /** Removes a condition that no longer applies (LargeCommit once the policy is met again). */
  dropCond(t: ConditionType): void {
    const conditions = this.status.conditions;
    if (conditions?.some((c) => c.type === t) !== true) return;
    this.status = { ...this.status, conditions: conditions.filter((c) => c.type !== t) };
  }
}

/** Whether a pass's status reached the apiserver. */
export type StatusWrite = { kind: 'written' } | { kind: 'failed'; error: unknown };

/**
 * The ledger hears of the outcome, then the final status is written whatever the pass did. In
 * that order so a process killed between the two leaves the status before the pass: the next
 * leader sees the revision as not yet synced and records it (see `recordsFor`), where the other
 * order left a change applied and never recorded. A pass that changed nothing writes nothing:
 * most periodic resyncs of a settled fleet. A status that cannot be written is logged, and
 * returned so the caller decides when the next pass writes it again (`afterStatusWrite`).
 */
export async function report(
  deps: {
    cluster: Cluster;
    log: (fields: Record<string, unknown>, msg: string) => void;
    audit?: AuditSink;
  },
  key: string,
  pass: Pass,
): Promise<StatusWrite> {
  const app = pass.app;
  for (const entry of recordsFor(app, app.status, pass.audited)) await deps.audit?.(entry);
  if (jsonEqual(pass.status, app.status ?? {})) return { kind: 'written' };
  try {
    await writeStatus(deps.cluster, app, pass.status);
    return { kind: 'written' };
  } catch (error) {
    deps.log({ key, err: String(error) }, 'writing status failed');
    return { kind: 'failed', error };
  }
}
