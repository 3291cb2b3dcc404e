import type { Application } from '../api/application.js';
import { HEALTH_ORDER } from '../api/health-status.js';
import type { AppList, AppListQuery, AppSummary, HealthStatus, SyncStatus } from './api.js';
import { UiHttpError } from './http.js';

/** The Applications view's rows, filtered and paged on the server. Pure. */

const syncs: readonly SyncStatus[] = ['Synced', 'OutOfSync', 'Unknown'];

export const maxAppPage = 500;
const defaultAppPage = 100;

/** One Application as a row: what its status says, nothing read elsewhere. */
export function summaryOf(app: Application): AppSummary {
  const s = app.status;
  const ready = s?.conditions?.find((c) => c.type === 'Ready');
  const last = s?.history?.at(-1);
  const revision = s?.sync?.revision ?? s?.lastSyncedRevision;
  const signer =
    s?.verification !== undefined && s.verification.revision === revision
      ? s.verification.signer
      : undefined;
  return {
    namespace: app.metadata.namespace ?? '',
    name: app.metadata.name,
    labels: { ...(app.metadata.labels ?? {}) },
    sync: s?.sync?.status ?? 'Unknown',
    health: s?.health?.status ?? 'Unknown',
    ...(revision === undefined ? {} : { revision }),
    ...(signer === undefined ? {} : { signer }),
    ...(ready === undefined ? {} : { readyReason: ready.reason, readyMessage: ready.message }),
    ...(last === undefined ? {} : { lastSyncTime: last.time }),
    // Unparsed, as listed: the default (false) may not be filled in.
    suspended: (app.spec as Partial<Application['spec']>).suspend === true,
  };
}

function intOf(text: string | null, what: string, max: number): number | undefined {
  if (text === null || text === '') return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) > max)
    throw new UiHttpError(400, `${what} must be a whole number from 0 to ${String(max)}`);
  return Number(text);
}

/** Paging of any list route: offset and a limit of at most `max`. */
export function pageOf(q: URLSearchParams, max: number): { offset?: number; limit?: number } {
  const offset = intOf(q.get('offset'), 'offset', 1_000_000_000);
  const limit = intOf(q.get('limit'), 'limit', max);
  return { ...(offset === undefined ? {} : { offset }), ...(limit === undefined ? {} : { limit }) };
}

/** GET /api/apps's query; a value out of its set is a 400, not an empty list. */
export function parseAppListQuery(q: URLSearchParams): AppListQuery {
  const out: AppListQuery = pageOf(q, maxAppPage);
  const ns = q.get('namespace');
  if (ns !== null && ns !== '') {
    if (!isObjectName(ns)) throw new UiHttpError(400, `namespace "${ns}" is not a valid name`);
    out.namespace = ns;
  }
  const sync = q.get('sync');
  if (sync !== null && sync !== '') {
    if (!(syncs as readonly string[]).includes(sync))
      throw new UiHttpError(400, `sync must be one of ${syncs.join(', ')}`);
    out.sync = sync as SyncStatus;
  }
  const health = q.get('health');
  if (health !== null && health !== '') {
    if (!(HEALTH_ORDER as readonly string[]).includes(health))
      throw new UiHttpError(400, `health must be one of ${HEALTH_ORDER.join(', ')}`);
    out.health = health as HealthStatus;
  }
  const label = q.get('label');
  if (label !== null && label.trim() !== '') out.label = label.trim();
  const text = q.get('q');
  if (text !== null && text.trim() !== '') out.q = text.trim();
  return out;
}

/** A namespace or object name as the apiserver accepts one (DNS subdomain). */
export function isObjectName(s: string): boolean {
  return s.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s);
}

function matchesText(a: AppSummary, text: string): boolean {
  const needle = text.toLowerCase();
  return [`${a.namespace}/${a.name}`, a.revision, a.signer, a.readyMessage].some(
    (field) => field !== undefined && field.toLowerCase().includes(needle),
  );
}

/**
 * Filters (sync, health, text; namespace and labels were the apiserver's), counts the matches by
 * status, sorts by namespace and name, and cuts the page.
 */
export function filterApps(all: readonly AppSummary[], q: AppListQuery): AppList {
  const matches = all.filter(
    (a) =>
      (q.namespace === undefined || a.namespace === q.namespace) &&
      (q.sync === undefined || a.sync === q.sync) &&
      (q.health === undefined || a.health === q.health) &&
      (q.q === undefined || matchesText(a, q.q)),
  );
  const counts: AppList['counts'] = { sync: {}, health: {} };
  for (const a of matches) {
    counts.sync[a.sync] = (counts.sync[a.sync] ?? 0) + 1;
    counts.health[a.health] = (counts.health[a.health] ?? 0) + 1;
  }
  matches.sort(
    (a, b) =>
      (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const offset = q.offset ?? 0;
  const limit = Math.min(q.limit ?? defaultAppPage, maxAppPage);
  return { items: matches.slice(offset, offset + limit), total: matches.length, counts };
}
