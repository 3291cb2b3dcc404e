import type { KubeObject } from '../../api/object.js';

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Whether resourceVersion `a` is older than `b`, compared as numbers, which etcd's are. */
function older(a: KubeObject, b: KubeObject | undefined): boolean {
  const [x, y] = [a.metadata.resourceVersion, b?.metadata.resourceVersion];
  if (typeof x !== 'string' || typeof y !== 'string' || !/^\d+$/.test(x) || !/^\d+$/.test(y))
    return false;
  return BigInt(x) < BigInt(y);
}

/**
 * The last state of each watched object of one kind, kept from watch events as an informer's
 * cache is, so a reconcile reads the hub's view without a request. The hub records its own
 * writes too: the next reconcile, often queued by that very write, must not read the object
 * as it was before it (and so, say, record a rollout step twice).
 */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();

  /**
   * Records an event or a write's result; returns the object as it was before, if it was
   * known. A version older than the one kept (a watch event behind the hub's own write) is
   * ignored.
   */
  record(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): KubeObject | undefined {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    if (type === 'DELETED') this.objects.delete(key);
    else if (!older(object, previous)) this.objects.set(key, object);
    return previous;
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(`${namespace}/${name}`);
  }

  /** Every object, or those `keep` accepts. */
  list(keep: (o: KubeObject) => boolean = () => true): KubeObject[] {
    return [...this.objects.values()].filter(keep);
  }

  get size(): number {
    return this.objects.size;
  }
}
