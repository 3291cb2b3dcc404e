/**
 * The Applications view's filters live in the URL (so a filtered list can be shared and the back
 * button works) and go to the server as AppListQuery: filtering and paging happen there.
 */
import type { AppListQuery, AuditQuery, HealthStatus, SyncStatus } from '../../src/ui/api.js';

export const SYNC_STATUSES: readonly SyncStatus[] = ['Synced', 'OutOfSync', 'Unknown'];
export const HEALTH_STATUSES: readonly HealthStatus[] = [
  'Healthy',
  'Progressing',
  'Degraded',
  'Suspended',
  'Missing',
  'Unknown',
];
export const PAGE_SIZES = [50, 100, 500] as const;
const DEFAULT_LIMIT = 100;

export interface AppFilters {
  namespace: string;
  sync?: SyncStatus;
  health?: HealthStatus;
  label: string;
  q: string;
  /** Zero-based. */
  page: number;
  limit: number;
}

export const emptyFilters: AppFilters = { namespace: '', label: '', q: '', page: 0, limit: 100 };

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === value);
}

function whole(value: string | null, fallback: number): number {
  if (value === null || !/^\d{1,6}$/.test(value)) return fallback;
  return Number(value);
}

export function parseAppFilters(search: URLSearchParams): AppFilters {
  const f: AppFilters = {
    namespace: search.get('namespace') ?? '',
    label: search.get('label') ?? '',
    q: search.get('q') ?? '',
    page: Math.max(0, whole(search.get('page'), 1) - 1),
    limit: PAGE_SIZES.find((s) => s === whole(search.get('limit'), DEFAULT_LIMIT)) ?? DEFAULT_LIMIT,
  };
  const sync = oneOf(search.get('sync'), SYNC_STATUSES);
  const health = oneOf(search.get('health'), HEALTH_STATUSES);
  if (sync) f.sync = sync;
  if (health) f.health = health;
  return f;
}

/** The URL's query string for these filters, leaving defaults out; "" when all are default. */
export function appFiltersToSearch(f: AppFilters): string {
  const s = new URLSearchParams();
  if (f.namespace) s.set('namespace', f.namespace);
  if (f.sync) s.set('sync', f.sync);
  if (f.health) s.set('health', f.health);
  if (f.label) s.set('label', f.label);
  if (f.q) s.set('q', f.q);
  if (f.page > 0) s.set('page', String(f.page + 1));
  if (f.limit !== DEFAULT_LIMIT) s.set('limit', String(f.limit));
  const text = s.toString();
  return text ? `?${text}` : '';
}

export function appListQuery(f: AppFilters): AppListQuery {
  const q: AppListQuery = { offset: f.page * f.limit, limit: f.limit };
  if (f.namespace) q.namespace = f.namespace;
  if (f.sync) q.sync = f.sync;
  if (f.health) q.health = f.health;
  if (f.label.trim()) q.label = f.label.trim();
  if (f.q.trim()) q.q = f.q.trim();
  return q;
}

export function pageCount(total: number, limit: number): number {
  return Math.max(1, Math.ceil(total / limit));
}

export interface AuditFilters {
  app: string;
  kind: string;
  since: string;
  until: string;
}

export function parseAuditFilters(search: URLSearchParams): AuditFilters {
  return {
    app: search.get('app') ?? '',
    kind: search.get('kind') ?? '',
    since: search.get('since') ?? '',
    until: search.get('until') ?? '',
  };
}

export function auditFiltersToSearch(f: AuditFilters): string {
  const s = new URLSearchParams();
  for (const k of ['app', 'kind', 'since', 'until'] as const) if (f[k]) s.set(k, f[k]);
  const text = s.toString();
  return text ? `?${text}` : '';
}

/**
 * `datetime-local` inputs give local wall time without a zone; the server wants RFC 3339. An
 * unparseable value is left out rather than sent.
 */
export function auditQuery(f: AuditFilters, limit = 500): AuditQuery {
  const q: AuditQuery = { limit };
  if (f.app.trim()) q.app = f.app.trim();
  if (f.kind.trim()) q.kind = f.kind.trim();
  const since = toRfc3339(f.since);
  const until = toRfc3339(f.until);
  if (since) q.since = since;
  if (until) q.until = until;
  return q;
}

function toRfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}
