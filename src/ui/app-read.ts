import { applicationGroup, applicationKind, type Application } from '../api/application.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import { AppNotFoundError, appPath, getApp } from '../reconcile/app-requests.js';

/**
 * Reads of one Application for the UI's routes. The Application view asks for its detail and
 * its first resource page at once; both need the Application, which for thousands of objects is
 * most of a megabyte of status. One read in flight serves both, for the same session only: it
 * is shared while it runs and never kept after.
 */

const inflight = new Map<string, Promise<Application>>();

export function getAppShared(
  cluster: Cluster,
  sessionId: string,
  ns: string,
  name: string,
): Promise<Application> {
  const key = JSON.stringify([sessionId, ns, name]);
  const running = inflight.get(key);
  if (running !== undefined) return running;
  const read = getApp(cluster, ns, name).finally(() => inflight.delete(key));
  inflight.set(key, read);
  return read;
}

/** The apiserver's PartialObjectMetadata: the object's metadata without spec or status. */
const metadataOnly = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** The Application's uid and resourceVersion, read with the caller's credentials. */
export async function getAppMetadata(
  cluster: Cluster,
  ns: string,
  name: string,
): Promise<{ uid?: unknown; resourceVersion?: unknown }> {
  const r = await cluster.http.request('GET', appPath(ns, name), undefined, {
    accept: metadataOnly,
  });
  if (r.status === 404) throw new AppNotFoundError(ns, name);
  if (r.status !== 200) {
    const ref = { group: applicationGroup, kind: applicationKind, namespace: ns, name };
    throw KubeApiError.from(ref, 'get', r.status, r.body, r.retryAfter);
  }
  return (
    (JSON.parse(r.body) as { metadata?: { uid?: unknown; resourceVersion?: unknown } }).metadata ??
    {}
  );
}
