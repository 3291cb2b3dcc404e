import {
  applicationApiVersion,
  applicationKind,
  applicationPlural,
  type Application,
  type HistoryEntry,
} from '../api/application.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import { whoAmI } from '../cluster/whoami.js';
import { requestedByAnnotation } from './audit.js';

/**
 * What a person asks of an Application: sync now, refresh, suspend, resume, roll back. Each is
 * one merge patch, made with the asker's own credentials and naming them as the apiserver
 * authenticated them (a SelfSubjectReview), so the controller's ledger records who asked.
 * `ballast app` and the UI make the same patches through this module.
 */

export type AppRequest =
  | { kind: 'sync' }
  | { kind: 'refresh' }
  | { kind: 'suspend' }
  | { kind: 'resume' }
  | { kind: 'rollback'; historyId: number; reason: string };

/** The Application's history has no entry with the id a rollback named. */
export class NoHistoryEntryError extends Error {
  override readonly name = 'NoHistoryEntryError';
  constructor(
    readonly namespace: string,
    readonly appName: string,
    readonly historyId: string,
    readonly ids: readonly number[],
  ) {
    super(
      `Application ${namespace}/${appName}: no history entry ${historyId}; ` +
        (ids.length === 0
          ? 'it has no history yet'
          : `choose one of ${ids.join(', ')} (ballast app history ${appName})`),
    );
  }
}

/** The Application is not there (or the caller may not know it is). */
export class AppNotFoundError extends Error {
  override readonly name = 'AppNotFoundError';
  constructor(
    readonly namespace: string,
    readonly appName: string,
  ) {
    super(`Application ${namespace}/${appName}: not found`);
  }
}

export function appPath(ns: string, name: string): string {
  return `/apis/${applicationApiVersion}/namespaces/${encodeURIComponent(ns)}/${applicationPlural}/${encodeURIComponent(name)}`;
}

export async function getApp(cluster: Cluster, ns: string, name: string): Promise<Application> {
  const obj = await cluster.get({
    apiVersion: applicationApiVersion,
    kind: applicationKind,
    metadata: { name, namespace: ns },
  });
  if (obj === undefined) throw new AppNotFoundError(ns, name);
  return obj as unknown as Application;
}

export async function mergePatch(
  cluster: Cluster,
  ns: string,
  name: string,
  patch: object,
): Promise<void> {
  const r = await cluster.http.request('PATCH', appPath(ns, name), JSON.stringify(patch), {
    'content-type': 'application/merge-patch+json',
  });
  if (r.status !== 200)
    throw KubeApiError.from(`Application ${ns}/${name}`, 'patch', r.status, r.body);
}

/** RFC 3339 to the second, as spec.rollback.requestedAt is written. */
const seconds = (now: Date): string => now.toISOString().replace(/\.\d+Z$/, 'Z');

/** The history entry a rollback names, or the error listing those there are. */
export function historyEntryOf(app: Application, id: string): HistoryEntry {
  const history = app.status?.history ?? [];
  const entry = history.find((h) => String(h.id) === id);
  if (entry === undefined)
    throw new NoHistoryEntryError(
      app.metadata.namespace ?? '',
      app.metadata.name,
      id,
      history.map((h) => h.id),
    );
  return entry;
}

/** The merge patch of a request; `by` is the asker as the apiserver names them. Pure. */
export function requestPatch(
  request: AppRequest,
  by: string,
  now: Date,
  app?: Application,
): object {
  const asked = { [requestedByAnnotation]: by };
  switch (request.kind) {
    case 'sync':
      return { metadata: { annotations: { 'ballast.dev/sync': now.toISOString(), ...asked } } };
    case 'refresh':
      return {
        metadata: { annotations: { 'ballast.dev/refresh': now.toISOString(), ...asked } },
      };
    case 'suspend':
      return { metadata: { annotations: asked }, spec: { suspend: true } };
    case 'resume':
      // Resuming also ends a rollback: the Application follows targetRevision again.
      return { metadata: { annotations: asked }, spec: { suspend: false, rollback: null } };
    case 'rollback': {
      if (app === undefined) throw new Error('a rollback patch needs the Application');
      const entry = historyEntryOf(app, String(request.historyId));
      return {
        spec: {
          rollback: {
            revision: entry.revision,
            historyId: entry.id,
            reason: request.reason,
            requestedBy: by,
            requestedAt: seconds(now),
          },
        },
      };
    }
  }
}

/**
 * Makes the request with `cluster`'s credentials; the apiserver decides whether they may. A
 * rollback reads the Application first for its history. Returns the patch's subject line.
 */
export async function requestOnApp(
  cluster: Cluster,
  ns: string,
  name: string,
  request: AppRequest,
): Promise<string> {
  const app = request.kind === 'rollback' ? await getApp(cluster, ns, name) : undefined;
  const by = await whoAmI(cluster);
  await mergePatch(cluster, ns, name, requestPatch(request, by, new Date(), app));
  const subject = `application.ballast.dev/${name}`;
  switch (request.kind) {
    case 'sync':
      return `${subject} sync requested`;
    case 'refresh':
      return `${subject} refresh requested`;
    case 'suspend':
      return `${subject} suspended`;
    case 'resume':
      return `${subject} resumed`;
    case 'rollback': {
      const entry = historyEntryOf(app as Application, String(request.historyId));
      return (
        `${subject} rolling back to ${entry.revision.slice(0, 12)} (history ${String(entry.id)}); ` +
        `new commits wait for \`ballast app resume ${name}\``
      );
    }
  }
}
