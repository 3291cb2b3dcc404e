import {
  applicationApiVersion,
  applicationGroup,
  applicationKind,
  applicationPlural,
  type Application,
} from '../api/application.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import { AppNotFoundError, getApp } from '../reconcile/app-requests.js';

/**
 * Reads of one Application for the UI's routes.
 *
 * An Application of thousands of objects is most of a megabyte of status, and a GET of a custom
 * resource is decoded from etcd on every call (100-400 ms on a small machine, even for its
 * metadata alone). A list narrowed to its name is answered from the apiserver's watch cache,
 * which the apiserver brings up to date with etcd first (consistent reads from the cache), so it
 * is as current as the GET. A caller who may get the Application but not list it gets the GET.
 *
 * The Application view asks for its detail and its first resource page at once; one read in
 * flight serves both, for the same session only: it is shared while it runs, never kept after.
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
  const read = readApp(cluster, ns, name).finally(() => inflight.delete(key));
  inflight.set(key, read);
  return read;
}

async function readApp(cluster: Cluster, ns: string, name: string): Promise<Application> {
  const listed = await listByName(cluster, ns, name, 'application/json');
  if (listed.kind === 'forbidden') return getApp(cluster, ns, name);
  // List items may omit apiVersion and kind; the Application is whole again.
  const app = listed.item as Application;
  return { ...app, apiVersion: applicationApiVersion, kind: applicationKind };
}

/** The apiserver's PartialObjectMetadataList: the objects' metadata without spec or status. */
const metadataOnly = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

type Metadata = { uid?: unknown; resourceVersion?: unknown };

/** The Application's uid and resourceVersion, read with the caller's credentials. */
export async function getAppMetadata(
  cluster: Cluster,
  ns: string,
  name: string,
): Promise<Metadata> {
  const listed = await listByName(cluster, ns, name, metadataOnly);
  if (listed.kind === 'forbidden') return (await getApp(cluster, ns, name)).metadata;
  return (listed.item as { metadata?: Metadata }).metadata ?? {};
}

async function listByName(
  cluster: Cluster,
  ns: string,
  name: string,
  accept: string,
): Promise<{ kind: 'item'; item: unknown } | { kind: 'forbidden' }> {
  const selector = encodeURIComponent(`metadata.name=${name}`);
  const path = `/apis/${applicationApiVersion}/namespaces/${encodeURIComponent(ns)}/${applicationPlural}?fieldSelector=${selector}`;
  const r = await cluster.http.request('GET', path, undefined, { accept });
  if (r.status === 403) return { kind: 'forbidden' };
  if (r.status !== 200) {
    const ref = { group: applicationGroup, kind: applicationKind, namespace: ns, name };
    throw KubeApiError.from(ref, 'get', r.status, r.body, r.retryAfter);
  }
  const item = (JSON.parse(r.body) as { items?: unknown[] }).items?.[0];
  if (item === undefined) throw new AppNotFoundError(ns, name);
  return { kind: 'item', item };
}
