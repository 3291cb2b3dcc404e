import type { Application } from '../api/application.js';
import type { KubeObject, ObjectRef } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { apiVersionOf, type ResourceInfo } from '../cluster/discovery.js';
import { KubeApiError } from '../cluster/errors.js';
import { assessHealth } from '../health/index.js';
import { buildTree, type TreeNode } from '../health/tree.js';

/** Owned kinds worth showing under managed objects: what a Deployment or CronJob makes. */
const ownedKinds = [
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'v1', kind: 'Pod' },
];

/**
 * An Application's objects as `cluster` can read them (status.resources, then ReplicaSets, Jobs
 * and Pods of their namespaces hung under their owners): what `ballast app tree` prints and the
 * UI's resource tree shows. A kind no longer served is left out.
 */
export async function readAppTree(cluster: Cluster, app: Application): Promise<TreeNode[]> {
  const resources = app.status?.resources ?? [];
  // The owned kinds are listed in the namespaces status names, alongside the managed objects
  // rather than after them: an owned object shows only under a managed owner, so listing a
  // namespace whose objects turn out unserved adds nothing to the tree.
  const namespaces = [...new Set(resources.map((r) => r.namespace).filter((n) => n !== ''))];
  const [lives, owned] = await Promise.all([
    readManaged(cluster, resources),
    readOwned(cluster, namespaces),
  ]);
  const managed = resources.flatMap((r, i) => {
    const read = lives[i];
    if (read === undefined || read.kind === 'unserved') return [];
    const object: KubeObject = read.live ?? {
      apiVersion: read.apiVersion,
      kind: r.kind,
      metadata: { name: r.name, namespace: r.namespace },
    };
    return [{ object, sync: r.status, health: assessHealth(read.live) }];
  });
  return buildTree(managed, owned, assessHealth);
}

async function readOwned(cluster: Cluster, namespaces: readonly string[]): Promise<KubeObject[]> {
  const perKind = await Promise.all(
    ownedKinds.map(async (k) => {
      const info = await cluster.discovery.resolve(k.apiVersion, k.kind);
      if (info === undefined) return [];
      const lists = await Promise.all(namespaces.map((ns) => listIfAllowed(cluster, info, ns)));
      return lists.flat();
    }),
  );
  return perKind.flat();
}

/**
 * Owned objects are extras: a caller who may not list one kind (Jobs, say) still sees the
 * managed objects and the kinds it may list, rather than nothing but the 403.
 */
async function listIfAllowed(
  cluster: Cluster,
  info: ResourceInfo,
  namespace: string,
): Promise<KubeObject[]> {
  try {
    return await cluster.list(info, { namespace });
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 403) return [];
    throw e;
  }
}

type Read =
  { kind: 'served'; apiVersion: string; live: KubeObject | undefined } | { kind: 'unserved' };

/**
 * The live objects of `refs`, in their order: one list per kind and namespace, so an
 * Application of thousands of objects costs a few requests, not one each. A caller who may get
 * but not list a kind gets its objects one by one.
 */
async function readManaged(cluster: Cluster, refs: readonly ObjectRef[]): Promise<Read[]> {
  const groups = new Map<string, number[]>();
  refs.forEach((r, i) => {
    const k = `${r.group}|${r.kind}|${r.namespace}`;
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [i]);
    else group.push(i);
  });
  const out: Read[] = new Array<Read>(refs.length);
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const first = refs[indexes[0] ?? 0] as ObjectRef;
      const info = await cluster.discovery.resolveGroupKind(first.group, first.kind);
      if (info === undefined) {
        for (const i of indexes) out[i] = { kind: 'unserved' };
        return;
      }
      const apiVersion = apiVersionOf(info);
      let byName: Map<string, KubeObject>;
      try {
        const items = await cluster.list(
          info,
          info.namespaced ? { namespace: first.namespace } : {},
        );
        byName = new Map(items.map((o) => [o.metadata.name, o]));
      } catch (e) {
        if (!(e instanceof KubeApiError && e.status === 403)) throw e;
        await Promise.all(
          indexes.map(async (i) => (out[i] = await cluster.getRef(refs[i] as ObjectRef))),
        );
        return;
      }
      for (const i of indexes)
        out[i] = { kind: 'served', apiVersion, live: byName.get((refs[i] as ObjectRef).name) };
    }),
  );
  return out;
}
