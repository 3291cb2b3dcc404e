import { applicationGroup, applicationPlural } from '../api/application.js';
import { formatRef } from '../api/object.js';
import {
  auditKinds,
  type AuditEntry,
  type Ledger,
  type LedgerRecord,
  type ListQuery,
} from '../audit/types.js';
import type { Cluster } from '../cluster/cluster.js';
import type { AuditPage, AuditRecordView } from './api.js';
import { userMay } from './app-detail.js';
import { isObjectName } from './apps.js';
import { UiHttpError } from './http.js';

/** GET /api/audit: ledger records filtered by app, kind and time, and the chain's check. */

const maxAuditPage = 1000;
const scanPage = 1000;

export interface AuditFilter {
  query: ListQuery;
  kind?: string;
  limit: number;
}

function timeOf(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UiHttpError(400, `${name} must be an ISO 8601 time`);
  return new Date(t).toISOString();
}

export function parseAuditQuery(q: URLSearchParams): AuditFilter {
  const query: ListQuery = {};
  const app = q.get('app');
  if (app !== null && app !== '') {
    const [ns, name, ...rest] = app.split('/');
    if (
      ns === undefined ||
      name === undefined ||
      rest.length > 0 ||
      !isObjectName(ns) ||
      !isObjectName(name)
    )
      throw new UiHttpError(400, 'app must be namespace/name');
    query.app = { namespace: ns, name };
  }
  const since = timeOf(q, 'since');
  const until = timeOf(q, 'until');
  if (since !== undefined) query.since = since;
  if (until !== undefined) query.until = until;
  const kind = q.get('kind');
  if (kind !== null && kind !== '' && !(auditKinds as readonly string[]).includes(kind))
    throw new UiHttpError(400, `kind must be one of ${auditKinds.join(', ')}`);
  const limitText = q.get('limit');
  const limit =
    limitText === null || limitText === '' ? 200 : Math.min(Number(limitText), maxAuditPage);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UiHttpError(400, `limit must be a whole number from 1 to ${String(maxAuditPage)}`);
  return { query, ...(kind === null || kind === '' ? {} : { kind }), limit };
}

/** One sentence per record, from its own fields; no value a record does not hold. Pure. */
export function summaryOfRecord(e: AuditEntry): string {
  const short = (sha: string): string => sha.slice(0, 12);
  switch (e.kind) {
    case 'sync-applied':
      return `synced ${short(e.revision)}: ${String(e.changes.length)} objects changed`;
    case 'drift-detected':
      return `drift in ${formatRef(e.object)} (${e.paths.join(', ')}) by ${e.fieldManager}`;
    case 'drift-reverted':
      return `drift reverted in ${formatRef(e.object)} (${e.paths.join(', ')}) made by ${e.fieldManager}`;
    case 'commit-refused':
      return `refused ${short(e.revision)}: ${e.reason}`;
    case 'large-commit':
      return `large commit applied at ${short(e.revision)}: ${e.reason}`;
    case 'rollback':
      return `rolled back from ${short(e.fromRevision)} to ${short(e.toRevision)}${e.reason === undefined || e.reason === '' ? '' : `: ${e.reason}`}`;
    case 'manual-sync':
      return `sync requested${e.revision === undefined ? '' : ` at ${short(e.revision)}`}`;
    case 'suspend':
      return `suspended${e.reason === undefined ? '' : `: ${e.reason}`}`;
    case 'resume':
      return 'resumed';
    case 'rollout':
      return `rollout ${e.action} of ${short(e.revision)}${e.group === undefined ? '' : ` (group ${e.group})`}${e.reason === undefined ? '' : `: ${e.reason}`}`;
    case 'secret-rotated':
      return `secret values rotated from ${e.source}: ${e.paths.join(', ')}`;
  }
}

function revisionOf(e: AuditEntry): string | undefined {
  if ('revision' in e && typeof e.revision === 'string') return e.revision;
  if (e.kind === 'rollback') return e.toRevision;
  return undefined;
}

export function recordView(r: LedgerRecord): AuditRecordView {
  const revision = revisionOf(r);
  return {
    seq: r.seq,
    time: r.time,
    kind: r.kind,
    app: `${r.app.namespace}/${r.app.name}`,
    ...(revision === undefined ? {} : { revision }),
    ...(r.actor === undefined ? {} : { actor: r.actor }),
    summary: summaryOfRecord(r),
  };
}

/**
 * The newest `limit` matching records, newest first. `visible` decides per namespace (the
 * controller's ledger holds every tenant's records; a user sees those of namespaces where they
 * may get Applications).
 */
async function newest(
  ledger: Ledger,
  f: AuditFilter,
  visible: (ns: string) => Promise<boolean>,
): Promise<LedgerRecord[]> {
  const kept: LedgerRecord[] = [];
  for (let afterSeq = 0; ;) {
    const page = await ledger.list({ ...f.query, afterSeq, limit: scanPage });
    for (const r of page) {
      if (f.kind !== undefined && r.kind !== f.kind) continue;
      if (!(await visible(r.app.namespace))) continue;
      kept.push(r);
      if (kept.length > f.limit) kept.shift();
    }
    const last = page.at(-1);
    if (last === undefined || page.length < scanPage) break;
    afterSeq = last.seq;
  }
  return kept.reverse();
}

export async function auditPage(
  ledger: Ledger | undefined,
  scope: 'user-file' | 'controller',
  cluster: Cluster,
  q: URLSearchParams,
): Promise<AuditPage> {
  const f = parseAuditQuery(q);
  if (ledger === undefined)
    return {
      available: false,
      records: [],
      verify: { state: 'unavailable', message: 'no ledger: start `ballast ui --ledger <url>`' },
    };
  const allowed = new Map<string, Promise<boolean>>();
  const visible = (ns: string): Promise<boolean> => {
    if (scope === 'user-file') return Promise.resolve(true);
    let p = allowed.get(ns);
    if (p === undefined) {
      p = userMay(cluster, {
        namespace: ns,
        verb: 'get',
        group: applicationGroup,
        resource: applicationPlural,
      });
      allowed.set(ns, p);
    }
    return p;
  };
  const [records, result] = await Promise.all([newest(ledger, f, visible), ledger.verify()]);
  return {
    available: true,
    records: records.map(recordView),
    verify:
      result.kind === 'intact'
        ? { state: 'intact' }
        : {
            state: 'broken',
            firstBroken: result.atSeq,
            message: `${result.problem}: ${result.detail}`,
          },
  };
}
