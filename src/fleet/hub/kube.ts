import type { KubeObject } from '../../api/object.js';
import { refOf } from '../../api/object.js';
import type { Cluster } from '../../cluster/cluster.js';
import { KubeApiError } from '../../cluster/errors.js';

/** The field manager of every write the hub makes, so `managedFields` tells its writes apart. */
export const hubFieldManager = 'ballast-hub';

/** Server-side apply as `ballast-hub`, taking the fields over (the hub alone writes Assignment specs). */
export async function applyAsHub(hub: Cluster, obj: KubeObject): Promise<KubeObject> {
  const info = await hub.infoFor(obj);
  const ref = refOf(obj);
  const params = new URLSearchParams({
    fieldManager: hubFieldManager,
    fieldValidation: 'Strict',
    force: 'true',
  });
  const path = `${hub.objectPath(info, ref.namespace, ref.name)}?${params.toString()}`;
  const r = await hub.http.request('PATCH', path, JSON.stringify(obj), {
    'content-type': 'application/apply-patch+yaml',
  });
  if (r.status !== 200 && r.status !== 201)
    throw KubeApiError.from(ref, 'apply', r.status, r.body, r.retryAfter);
  return JSON.parse(r.body) as KubeObject;
}

/**
 * A merge patch of the status subresource with `status`: the object as stored after it, or
 * undefined when the object is gone.
 */
export async function patchStatus(
  hub: Cluster,
  obj: KubeObject,
  status: object,
): Promise<KubeObject | undefined> {
  const info = await hub.infoFor(obj);
  const ref = refOf(obj);
  const params = new URLSearchParams({ fieldManager: hubFieldManager });
  const path = `${hub.objectPath(info, ref.namespace, ref.name)}/status?${params.toString()}`;
  const r = await hub.http.request('PATCH', path, JSON.stringify({ status }), {
    'content-type': 'application/merge-patch+json',
  });
  if (r.status === 404) return undefined;
  if (r.status !== 200)
    throw KubeApiError.from(ref, 'write status', r.status, r.body, r.retryAfter);
  return JSON.parse(r.body) as KubeObject;
}

/** Creates a namespace unless it exists: create, not patch, is all the hub's role allows. */
export async function ensureNamespace(hub: Cluster, name: string): Promise<void> {
  const body = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'ballast' } },
  };
  const r = await hub.http.request('POST', '/api/v1/namespaces', JSON.stringify(body), {
    'content-type': 'application/json',
  });
  if (r.status !== 201 && r.status !== 409)
    throw KubeApiError.from(`Namespace ${name}`, 'create', r.status, r.body, r.retryAfter);
}

/**
 * Adds or removes one finalizer with a JSON patch that tests resourceVersion, so a concurrent
 * edit of the list is retried, never overwritten.
 */
export async function setFinalizer(
  hub: Cluster,
  obj: KubeObject,
  finalizer: string,
  want: 'present' | 'absent',
): Promise<void> {
  const list = (obj.metadata.finalizers as string[] | undefined) ?? [];
  const index = list.indexOf(finalizer);
  if (index >= 0 === (want === 'present')) return;
  const test = {
    op: 'test',
    path: '/metadata/resourceVersion',
    value: obj.metadata.resourceVersion,
  };
  const ops =
    want === 'absent'
      ? [
          test,
          { op: 'test', path: `/metadata/finalizers/${index}`, value: finalizer },
          { op: 'remove', path: `/metadata/finalizers/${index}` },
        ]
      : [
          test,
          list.length === 0 && obj.metadata.finalizers === undefined
            ? { op: 'add', path: '/metadata/finalizers', value: [finalizer] }
            : { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
        ];
  await hub.jsonPatch(obj, ops);
}
