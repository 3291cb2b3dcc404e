import type { KubeObject } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { TRACKING_LABEL } from '../inventory/index.js';
import type { PreparedObject } from './prepare.js';

/** Below this many objects of one kind in one namespace, single GETs are cheaper than a LIST. */
const listThreshold = 4;

/**
 * Reads the live state of the objects about to be planned: one LIST per kind and namespace
 * that holds several of them, a GET for the rest. A thousand-object sync then costs a handful
 * of reads instead of a thousand. The LIST asks only for objects carrying this Application's
 * tracking label, so its cost does not grow with everything else in the namespace; an object
 * it does not return (new, or someone else's) is read with a GET.
 *
 * With `anyOwner` (a first sync), the LIST asks for every object carrying a tracking label,
 * whoever's: one it does not return is then known to carry none (see `untracked`).
 */
export class LiveReader {
  private readonly listed = new Map<string, Map<string, KubeObject>>();

  private constructor(
    private readonly cluster: Cluster,
    private readonly anyOwner: boolean,
  ) {}

  private static groupKey(o: KubeObject): string {
    return `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
  }

  static async prefetch(
    cluster: Cluster,
    prepared: readonly PreparedObject[],
    anyOwner = false,
  ): Promise<LiveReader> {
    const reader = new LiveReader(cluster, anyOwner);
    const sample = new Map<string, PreparedObject>();
    const sizes = new Map<string, number>();
    for (const p of prepared) {
      if (p.crdInSet) continue;
      const k = LiveReader.groupKey(p.object);
      sample.set(k, p);
      sizes.set(k, (sizes.get(k) ?? 0) + 1);
    }
    await Promise.all(
      [...sample.entries()]
        .filter(([k]) => (sizes.get(k) ?? 0) >= listThreshold)
        .map(async ([k, p]) => {
          const info = await cluster.infoFor(p.object);
          const ns = p.object.metadata.namespace;
          const owner = p.object.metadata.labels?.[TRACKING_LABEL];
          const selector = anyOwner ? TRACKING_LABEL : `${TRACKING_LABEL}=${owner}`;
          const items = await cluster.list(info, {
            ...(ns === undefined ? {} : { namespace: ns }),
            ...(owner === undefined ? {} : { labelSelector: selector }),
          });
          reader.listed.set(k, new Map(items.map((o) => [o.metadata.name, o])));
        }),
    );
    return reader;
  }

  /** Was this object's kind and namespace listed with `anyOwner`, without it? */
  untracked(obj: KubeObject): boolean {
    const listed = this.listed.get(LiveReader.groupKey(obj));
    return this.anyOwner && listed !== undefined && !listed.has(obj.metadata.name);
  }

  /** The live object, or undefined when it does not exist. */
  async get(obj: KubeObject): Promise<KubeObject | undefined> {
    const listed = this.listed.get(LiveReader.groupKey(obj))?.get(obj.metadata.name);
    return listed ?? this.cluster.get(obj);
  }
}
