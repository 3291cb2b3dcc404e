import {
  applicationApiVersion,
  applicationGroup,
  applicationKind,
  applicationPlural,
  type Application,
} from '../api/application.js';
import type { KubeObject } from '../api/object.js';
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

/** Every Application the session may list (in `namespace`, or all), and the list's version. */
export interface AppListing {
  items: KubeObject[];
  resourceVersion: string;
}

const listings = new Map<string, Promise<AppListing>>();
const listingKey = (sessionId: string, namespace: string | undefined): string =>
  JSON.stringify([sessionId, namespace ?? null]);

/**
 * The Applications list and the page's event stream both begin by listing every Application,
 * usually at the same moment. One list in flight per session and scope serves both: the
 * apiserver encodes a thousand Applications once, and the stream watches from the very version
 * the list shows, so no change between the two is missed. Never kept after it completes.
 */
export function listAppsShared(
  cluster: Cluster,
  sessionId: string,
  namespace: string | undefined,
): Promise<AppListing> {
  const key = listingKey(sessionId, namespace);
  const running = listings.get(key);
  if (running !== undefined) return running;
  const read = listAll(cluster, namespace).finally(() => listings.delete(key));
  listings.set(key, read);
  return read;
}

/** The list of listAppsShared on its way for this session and scope, if one is. */
export function appListingInFlight(
  sessionId: string,
  namespace: string | undefined,
): Promise<AppListing> | undefined {
  return listings.get(listingKey(sessionId, namespace));
}

async function listAll(cluster: Cluster, namespace: string | undefined): Promise<AppListing> {
  const inNs = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  const r = await cluster.http.request(
    'GET',
    `/apis/${applicationApiVersion}${inNs}/${applicationPlural}`,
  );
  if (r.status !== 200) throw KubeApiError.from('Application list', 'list', r.status, r.body);
  const list = JSON.parse(r.body) as {
    metadata?: { resourceVersion?: string };
    items?: KubeObject[];
  };
  return {
    // List items may omit apiVersion and kind; they are whole objects again.
    items: (list.items ?? []).map((o) => ({
      ...o,
      apiVersion: applicationApiVersion,
      kind: applicationKind,
    })),
    resourceVersion: list.metadata?.resourceVersion ?? '0',
  };
}
