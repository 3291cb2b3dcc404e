/**
 * The two keys of the watch manager, built and split only here:
 * - WatchKey, `group/version/kind`, names one kind's shared watch (the core group is empty,
 *   so the key starts with `/`);
 * - CacheKey, `namespace/name`, names one object in that kind's cache (the namespace is empty
 *   for a cluster-scoped kind, so the key starts with `/`).
 */

/** `group/version/kind`: a group, a version and a kind never hold `/`. */
export type WatchKey = string & { readonly __brand: 'WatchKey' };

/** `namespace/name`: a namespace and an object's name never hold `/`. */
export type CacheKey = string & { readonly __brand: 'CacheKey' };

export interface WatchedKind {
  group: string;
  version: string;
  kind: string;
}

export function formatWatchKey(info: WatchedKind): WatchKey {
  return `${info.group}/${info.version}/${info.kind}` as WatchKey;
}

/** The kind a watch key names, or undefined when `key` is not `group/version/kind`. */
export function parseWatchKey(key: string): WatchedKind | undefined {
  const parts = key.split('/');
  if (parts.length !== 3) return undefined;
  const [group = '', version = '', kind = ''] = parts;
  return version === '' || kind === '' ? undefined : { group, version, kind };
}

export function formatCacheKey(id: { namespace: string; name: string }): CacheKey {
  return `${id.namespace}/${id.name}` as CacheKey;
}

/** The object a cache key names, or undefined when `key` is not `namespace/name`. */
export function parseCacheKey(key: string): { namespace: string; name: string } | undefined {
  const parts = key.split('/');
  if (parts.length !== 2) return undefined;
  const [namespace = '', name = ''] = parts;
  return name === '' ? undefined : { namespace, name };
}
