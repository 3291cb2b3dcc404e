import type {
  Application,
  ApplicationStatus,
  Condition,
  ConditionType,
  HistoryEntry,
} from '../api/application.js';
import { applicationPlural, applicationApiVersion } from '../api/application.js';
import type { KubeObject } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import type { HealthStatus } from '../api/health-status.js';

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Sets one condition, keeping lastTransitionTime when the status did not flip, as the
 * Kubernetes API conventions require.
 */
export function setCondition(
  conditions: readonly Condition[],
  type: ConditionType,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  generation: number | undefined,
): Condition[] {
  const prev = conditions.find((c) => c.type === type);
  const lastTransitionTime =
    prev !== undefined && prev.status === status ? prev.lastTransitionTime : now();
  const next: Condition = {
    type,
    status,
    reason,
    message: message.slice(0, 1024),
    lastTransitionTime,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  return [...conditions.filter((c) => c.type !== type), next];
}

/** Appends a history entry, keeping the last ten. */
export function appendHistory(
  history: readonly HistoryEntry[],
  entry: Omit<HistoryEntry, 'id' | 'time'>,
): HistoryEntry[] {
  const id = history.reduce((max, h) => Math.max(max, h.id), 0) + 1;
  return [...history, { ...entry, id, time: now() }].slice(-10);
}

/** Writes the status subresource with a merge patch of the whole status. */
export async function writeStatus(
  cluster: Cluster,
  app: Application,
  status: ApplicationStatus,
): Promise<void> {
  const ns = app.metadata.namespace ?? '';
  const path = `/apis/${applicationApiVersion}/namespaces/${ns}/${applicationPlural}/${app.metadata.name}/status`;
  const r = await cluster.http.request('PATCH', path, JSON.stringify({ status }), {
    'content-type': 'application/merge-patch+json',
  });
  if (r.status === 404) return;
  if (r.status !== 200)
    throw KubeApiError.from(
      `Application ${ns}/${app.metadata.name}`,
      'write status',
      r.status,
      r.body,
      r.retryAfter,
    );
}

export type EventType = 'Normal' | 'Warning';

/**
 * One outcome as the controller announces it: its Event, and what a listener needs beside it
 * (the full commit and the health, which the Event's text abbreviates or leaves out).
 */
export interface Announcement {
  /** The Application (or, from the hub, the FleetApplication) the outcome is about. */
  involved: KubeObject;
  type: EventType;
  /** The Event's reason: Synced, DriftReverted, a Ready reason of a failed pass, … */
  reason: string;
  message: string;
  /** The full commit SHA the outcome is about, when known. */
  revision?: string | undefined;
  /** The Application's aggregated health after the outcome, when known. */
  health?: HealthStatus | undefined;
  /** A refused commit (signatures, policy), as opposed to a failure that may pass on retry. */
  refused?: boolean;
}

/**
 * Hears every outcome as it is announced. It must return at once and never throw: it runs on
 * the reconcile's path (notifications queue and send in the background).
 */
export type OutcomeTap = (a: Announcement) => void;

/** What announcing needs: our client for the Event, and whoever listens. */
export interface AnnounceDeps {
  cluster: Cluster;
  notify?: OutcomeTap | undefined;
}

/** Hands an outcome to the listener; a listener that throws is a bug of its own, not the pass's. */
export function tapOutcome(notify: OutcomeTap | undefined, a: Announcement): void {
  try {
    notify?.(a);
  } catch {
    // The reconcile's result never depends on who listens.
  }
}

/**
 * Announces a turn of health between what status last showed (`before`) and now: turning
 * Degraded, or turning Healthy from Progressing, Degraded or Missing (a commit status then goes
 * from pending to success). A first health is announced only when it is Degraded: the Synced
 * Event of that pass carries the rest.
 */
export function announceHealthTurn(
  notify: OutcomeTap | undefined,
  involved: KubeObject,
  turn: {
    before: HealthStatus | undefined;
    status: HealthStatus;
    message: string;
    revision: string;
  },
): void {
  if (turn.before === turn.status) return;
  const { revision, status, message } = turn;
  if (status === 'Degraded')
    tapOutcome(notify, {
      involved,
      type: 'Warning',
      reason: 'HealthDegraded',
      message,
      revision,
      health: status,
    });
  else if (status === 'Healthy' && turn.before !== undefined)
    tapOutcome(notify, {
      involved,
      type: 'Normal',
      reason: 'HealthRecovered',
      message: message === '' ? `healthy at ${revision.slice(0, 12)}` : message,
      revision,
      health: status,
    });
}

/**
 * Records a core/v1 Event on the Application and hands the outcome to the listener; failures
 * to record are not fatal.
 */
export async function recordEvent(
  deps: AnnounceDeps,
  app: Application,
  type: EventType,
  reason: string,
  message: string,
  more: Pick<Announcement, 'revision' | 'health' | 'refused'> = {},
): Promise<void> {
  const involved = { ...app, apiVersion: applicationApiVersion, kind: 'Application' };
  tapOutcome(deps.notify, { involved, type, reason, message, ...more });
  await recordObjectEvent(deps.cluster, involved, {
    type,
    reason,
    message,
    component: 'controller',
  });
}

/**
 * Records a core/v1 Event on any object (`component`: controller, hub); failures to record are
 * not fatal.
 */
export async function recordObjectEvent(
  cluster: Cluster,
  involved: KubeObject,
  e: { type: EventType; reason: string; message: string; component: string },
): Promise<void> {
  const ns = involved.metadata.namespace ?? 'default';
  const ts = new Date().toISOString();
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${involved.metadata.name}.`, namespace: ns },
    involvedObject: {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: involved.metadata.name,
      namespace: ns,
      uid: involved.metadata.uid,
      resourceVersion: involved.metadata.resourceVersion,
    },
    type: e.type,
    reason: e.reason,
    message: e.message.slice(0, 1024),
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
    source: { component: `ballast-${e.component}` },
    reportingComponent: `ballast.dev/${e.component}`,
    reportingInstance: `ballast-${e.component}`,
  };
  await cluster.http
    .request('POST', `/api/v1/namespaces/${ns}/events`, JSON.stringify(event), {
      'content-type': 'application/json',
    })
    .catch(() => undefined);
}
