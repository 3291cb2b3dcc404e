import type { KubeObject } from '../api/object.js';
import { APPLICATION_ID_ANNOTATION, TRACKING_LABEL } from '../api/tracking.js';
import { formatCacheKey, parseCacheKey, type CacheKey } from './watch-key.js';

/** The tracking label that names an object's owning Application. */
export const trackingLabel = TRACKING_LABEL;

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * What is remembered of one watched object: enough to tell a change from a repeat, and to
 * name the owner of an object that vanished while the watch was down. The full object is
 * only handed to the event callback; a consumer that needs it later GETs it.
 */
export interface CacheEntry {
  resourceVersion: string;
  /** The tracking label's value, when the object carried it. */
  application: string | undefined;
  /**
   * The identity annotation, when the object carried it: a hashed tracking label names its
   * owner only with it (api/tracking.ts), so a tombstone must keep it too.
   */
  applicationId?: string;
}

/** One kind's objects, keyed by `namespace/name` (a cache never mixes kinds). */
export type WatchCache = Map<CacheKey, CacheEntry>;

/** A change to hand on: the object as the apiserver sent it, or a tombstone when deleted. */
export interface CacheChange {
  type: ChangeType;
  object: KubeObject;
}

export function cacheKey(obj: KubeObject): CacheKey {
  return formatCacheKey({ namespace: obj.metadata.namespace ?? '', name: obj.metadata.name });
}

function resourceVersionOf(obj: KubeObject): string {
  const rv = obj.metadata.resourceVersion;
  return typeof rv === 'string' ? rv : '';
}

function entryOf(obj: KubeObject): CacheEntry {
  const entry: CacheEntry = {
    resourceVersion: resourceVersionOf(obj),
    application: obj.metadata.labels?.[trackingLabel],
  };
  // Only objects of long-named Applications carry it; the others keep no extra field.
  const id = obj.metadata.annotations?.[APPLICATION_ID_ANNOTATION];
  if (id !== undefined) entry.applicationId = id;
  return entry;
}

/**
 * Records one watch event; false when it repeats what is already known (same
 * resourceVersion), so the consumer is not asked to re-diff an unchanged object.
 */
export function recordChange(cache: WatchCache, change: CacheChange): boolean {
  const key = cacheKey(change.object);
  if (change.type === 'DELETED') {
    cache.delete(key);
    return true;
  }
  const known = cache.get(key);
  if (known !== undefined && known.resourceVersion === resourceVersionOf(change.object))
    return false;
  cache.set(key, entryOf(change.object));
  return true;
}

/**
 * The stand-in for an object that vanished while nobody watched: its identity, last known
 * resourceVersion and tracking label, which is all a consumer needs to find the owner.
 */
export function tombstone(
  key: CacheKey,
  entry: CacheEntry,
  kind: { apiVersion: string; kind: string },
): KubeObject {
  const { namespace, name } = parseCacheKey(key) ?? { namespace: '', name: key };
  const metadata: KubeObject['metadata'] = { name, resourceVersion: entry.resourceVersion };
  if (namespace !== '') metadata.namespace = namespace;
  if (entry.application !== undefined) metadata.labels = { [trackingLabel]: entry.application };
  if (entry.applicationId !== undefined)
    metadata.annotations = { [APPLICATION_ID_ANNOTATION]: entry.applicationId };
  return { apiVersion: kind.apiVersion, kind: kind.kind, metadata };
}

/**
 * One relist, compared with what was known before it: each listed item is seen in turn, then
 * `finish()` names what vanished. The cache is updated as items are seen, so a relist that
 * fails half-way and is retried does not report the same change twice.
 */
export class Relist {
  private readonly seen = new Set<CacheKey>();

  constructor(
    private readonly cache: WatchCache,
    private readonly kind: { apiVersion: string; kind: string },
  ) {}

  /** The change to report for a listed item, or undefined when it is as last known. */
  see(obj: KubeObject): CacheChange | undefined {
    const key = cacheKey(obj);
    this.seen.add(key);
    const known = this.cache.get(key);
    if (known?.resourceVersion === resourceVersionOf(obj)) return undefined;
    this.cache.set(key, entryOf(obj));
    return { type: known === undefined ? 'ADDED' : 'MODIFIED', object: obj };
  }

  /** After the last page: DELETED tombstones for all that was known but not listed. */
  finish(): CacheChange[] {
    const gone: CacheChange[] = [];
    for (const [key, entry] of this.cache) {
      if (this.seen.has(key)) continue;
      this.cache.delete(key);
      gone.push({ type: 'DELETED', object: tombstone(key, entry, this.kind) });
    }
    return gone;
  }
}

/** The whole relist comparison at once: old cache × new list → changes (the cache is updated). */
export function diffRelist(
  cache: WatchCache,
  items: readonly KubeObject[],
  kind: { apiVersion: string; kind: string },
): CacheChange[] {
  const relist = new Relist(cache, kind);
  const changes: CacheChange[] = [];
  for (const item of items) {
    const change = relist.see(item);
    if (change !== undefined) changes.push(change);
  }
  return [...changes, ...relist.finish()];
}
