import {
  applicationApiVersion,
  driftReaction,
  parseApplication,
  type Application,
} from '../api/application.js';
import { applicationGroup, applicationPlural } from '../api/application.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import type {
  AppActions,
  AppDetail,
  AppList,
  AppListQuery,
  EventItem,
  HistoryEntry,
} from './api.js';
import { getAppShared, listAppsShared } from './app-read.js';
import { filterApps, summaryOf } from './apps.js';
import { UiHttpError } from './http.js';

/** The reads behind GET /api/apps and /api/apps/:ns/:name, with the session's client. */

/** Applications as the user may list them: in one namespace, or all of them. */
export async function listApps(
  cluster: Cluster,
  sessionId: string,
  q: AppListQuery,
): Promise<AppList> {
  const info = await cluster.discovery.resolve(applicationApiVersion, 'Application');
  if (info === undefined)
    throw new UiHttpError(404, 'the Application CRD is not installed; run `ballast install`');
  // Unfiltered by label, the list is the one the page's event stream starts from: shared.
  const items = (q.label === undefined
    ? (await listAppsShared(cluster, sessionId, q.namespace)).items
    : await cluster.list(info, {
        ...(q.namespace === undefined ? {} : { namespace: q.namespace }),
        labelSelector: q.label,
      })) as unknown as Application[];
  return filterApps(items.map(summaryOf), q);
}

/** Whether the user may `verb` `resource` in `namespace`: a SelfSubjectAccessReview. */
export async function userMay(
  cluster: Cluster,
  attrs: { namespace: string; verb: string; group: string; resource: string; name?: string },
): Promise<boolean> {
  const r = await cluster.http.request(
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    JSON.stringify({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: attrs },
    }),
    { 'content-type': 'application/json' },
  );
  if (r.status !== 201 && r.status !== 200) return false;
  const body = JSON.parse(r.body) as { status?: { allowed?: boolean } };
  return body.status?.allowed === true;
}

/** The actions the user may take on an Application: each is a patch of it. */
export async function appActions(cluster: Cluster, ns: string, name: string): Promise<AppActions> {
  const patch = await userMay(cluster, {
    namespace: ns,
    verb: 'patch',
    group: applicationGroup,
    resource: applicationPlural,
    name,
  });
  return { sync: patch, refresh: patch, suspend: patch, rollback: patch };
}

interface RawEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  metadata?: { creationTimestamp?: string };
  source?: { component?: string };
  reportingComponent?: string;
}

/**
 * The Events of one object, newest first, at most `limit`. A user who may not list Events sees
 * none rather than no page: the object itself is what they asked for.
 */
export async function eventsOf(
  cluster: Cluster,
  ref: { kind: string; namespace: string; name: string },
  limit = 50,
): Promise<EventItem[]> {
  if (ref.namespace === '') return [];
  const selector = `involvedObject.kind=${ref.kind},involvedObject.name=${ref.name}`;
  const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events?fieldSelector=${encodeURIComponent(selector)}`;
  const r = await cluster.http.request('GET', path);
  if (r.status === 403) return [];
  if (r.status !== 200)
    throw KubeApiError.from(`Events of ${ref.kind} ${ref.name}`, 'list', r.status, r.body);
  const items = (JSON.parse(r.body) as { items?: RawEvent[] }).items ?? [];
  return items
    .map((e): EventItem => ({
      type: e.type === 'Warning' ? 'Warning' : 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? '',
      count: e.count ?? 1,
      lastTime:
        e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '',
      source: e.source?.component ?? e.reportingComponent ?? '',
    }))
    .sort((a, b) => (a.lastTime < b.lastTime ? 1 : a.lastTime > b.lastTime ? -1 : 0))
    .slice(0, limit);
}

function historyOf(app: Application): HistoryEntry[] {
  const s = app.status;
  const signerOf = (revision: string): string | undefined =>
    s?.verification?.revision === revision ? s.verification.signer : undefined;
  return (s?.history ?? [])
    .map((h) => {
      // The entry's own signer (recorded at sync); older entries fall back to the verification.
      const signer = h.signer ?? signerOf(h.revision);
      return {
        id: h.id,
        revision: h.revision,
        ...(signer === undefined ? {} : { signer }),
        time: h.time,
        result: h.result,
        counts: { ...h.counts },
      };
    })
    .reverse();
}

function withoutResources(app: Application): Application {
  if (app.status?.resources === undefined) return app;
  const status = { ...app.status };
  delete status.resources;
  return { ...app, status };
}

/** The Application as the Application view shows it. */
export async function appDetail(
  cluster: Cluster,
  sessionId: string,
  ns: string,
  name: string,
): Promise<AppDetail> {
  // The three reads are independent: the Events and the access review need no Application.
  const [full, events, can] = await Promise.all([
    getAppShared(cluster, sessionId, ns, name),
    eventsOf(cluster, { kind: 'Application', namespace: ns, name }),
    appActions(cluster, ns, name),
  ]);
  // status.resources (thousands of entries) is the resource routes'; the detail shows none of
  // it, so it is neither checked nor copied here.
  const raw = withoutResources(full);
  // Defaults (selfHeal, verification mode) come from the parser; a spec it refuses is shown raw.
  const parsed = parseApplication(raw);
  const app = parsed.kind === 'ok' ? parsed.value : raw;
  const spec = app.spec;
  // A spec the parser refused has no defaults: any field may be absent.
  const loose: Partial<Application['spec']> = spec;
  const history = historyOf(app);
  const healed = parsed.kind === 'ok' && driftReaction(parsed.value.spec) === 'heal';
  const v = app.status?.verification;
  const rb = spec.rollback;
  return {
    ...summaryOf(app),
    source: {
      repoURL: spec.source.repoURL,
      path: spec.source.path,
      targetRevision: spec.source.targetRevision,
    },
    ...(rb === undefined
      ? {}
      : {
          pinnedTo: {
            historyId: rb.historyId ?? -1,
            revision: rb.revision,
            ...(rb.reason === '' ? {} : { reason: rb.reason }),
          },
        }),
    verification: {
      mode: loose.verification?.mode ?? 'none',
      ...(v === undefined ? {} : { result: v.result }),
      ...(v?.fingerprint === undefined ? {} : { fingerprint: v.fingerprint }),
    },
    // What the controller does, not the field alone: selfHeal under drift: warn only reports.
    selfHeal: healed,
    conditions: (app.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
      lastTransitionTime: c.lastTransitionTime,
    })),
    ...(history[0] === undefined ? {} : { lastSync: history[0] }),
    history,
    drift: (app.status?.drift ?? []).map((d) => ({
      group: d.group,
      kind: d.kind,
      namespace: d.namespace,
      name: d.name,
      paths: [...d.paths],
      ...(d.manager === undefined ? {} : { manager: d.manager }),
      detectedAt: d.detectedAt,
      healed,
    })),
    events,
    can,
  };
}
