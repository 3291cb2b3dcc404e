import type { KubeObject } from '../../api/object.js';

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * The last state of each watched object of one kind, kept from watch events as an informer's
 * cache is, so a reconcile reads the hub's view without a request.
 */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();

  /** Records an event; returns the object as it was before, if it was known. */
  record(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): KubeObject | undefined {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, object);
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
