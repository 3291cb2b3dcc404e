/** Browser routes (UI-CONTRACT: /, /apps/:ns/:name, /audit, /fleet, /fleet/:ns/:name, /login). */
import type { AppKey, ObjectRef } from '../../src/ui/api.js';

export type ObjectTab = 'live' | 'events' | 'diff';
export const OBJECT_TABS: readonly ObjectTab[] = ['live', 'events', 'diff'];

export type Route =
  | { view: 'apps' }
  | { view: 'app'; key: AppKey; object?: string; tab: ObjectTab }
  | { view: 'audit' }
  | { view: 'fleet' }
  | { view: 'fleet-app'; key: AppKey }
  | { view: 'login' }
  | { view: 'not-found'; path: string };

/** One path segment, decoded; undefined for a malformed escape or an empty segment. */
function segment(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function keyOf(ns: string | undefined, name: string | undefined): AppKey | undefined {
  const namespace = segment(ns);
  const n = segment(name);
  return namespace && n ? { namespace, name: n } : undefined;
}

export function parseRoute(pathname: string, search: URLSearchParams): Route {
  const parts = pathname.replace(/\/+$/, '').split('/').slice(1);
  const [first, a, b, ...rest] = parts;
  if (parts.length === 0 || (parts.length === 1 && first === '')) return { view: 'apps' };
  if (rest.length === 0) {
    if (first === 'apps' && parts.length === 3) {
      const key = keyOf(a, b);
      if (key) {
        const tab = OBJECT_TABS.find((t) => t === search.get('tab')) ?? 'live';
        const object = search.get('object');
        return object ? { view: 'app', key, object, tab } : { view: 'app', key, tab };
      }
    }
    if (first === 'fleet' && parts.length === 3) {
      const key = keyOf(a, b);
      if (key) return { view: 'fleet-app', key };
    }
    if (parts.length === 1 && first === 'audit') return { view: 'audit' };
    if (parts.length === 1 && first === 'fleet') return { view: 'fleet' };
    if (parts.length === 1 && first === 'login') return { view: 'login' };
  }
  return { view: 'not-found', path: pathname };
}

const enc = encodeURIComponent;

export function appPath(key: AppKey): string {
  return `/apps/${enc(key.namespace)}/${enc(key.name)}`;
}

export function fleetAppPath(key: AppKey): string {
  return `/fleet/${enc(key.namespace)}/${enc(key.name)}`;
}

/** The URL of an Application with an object selected, as ?object=<group|kind|namespace|name>. */
export function objectPath(key: AppKey, object: string | undefined, tab: ObjectTab): string {
  if (object === undefined) return appPath(key);
  const s = new URLSearchParams({ object });
  if (tab !== 'live') s.set('tab', tab);
  return `${appPath(key)}?${s.toString()}`;
}

export function objectKey(ref: ObjectRef): string {
  return [ref.group, ref.kind, ref.namespace, ref.name].join('|');
}

/** The ObjectRef of `group|kind|namespace|name`; undefined when it does not have four parts. */
export function parseObjectKey(key: string): ObjectRef | undefined {
  const parts = key.split('|');
  if (parts.length !== 4) return undefined;
  const [group = '', kind = '', namespace = '', name = ''] = parts;
  return kind && name ? { group, kind, namespace, name } : undefined;
}
