import { asAppKey, type AppKey } from '../api/app-key.js';
import { parseRefKey, refKey, type ObjectRef } from '../api/object.js';

/**
 * A managed object to re-check, as the drift queue holds it: `<appKey>#<refKey>`, i.e.
 * `appNamespace/appName#group|kind|namespace|name`. An AppKey never holds `#` (a namespace
 * and an Application name are DNS names), so the first `#` ends it even when the object's name
 * holds one.
 */
export type DriftKey = string & { readonly __brand: 'DriftKey' };

export function formatDriftKey(app: AppKey, ref: ObjectRef): DriftKey {
  return `${app}#${refKey(ref)}` as DriftKey;
}

/** The Application and object a drift key names, or undefined when it is not one. */
export function parseDriftKey(key: string): { appKey: AppKey; ref: ObjectRef } | undefined {
  const hash = key.indexOf('#');
  if (hash < 0) return undefined;
  const appKey = asAppKey(key.slice(0, hash));
  const ref = parseRefKey(key.slice(hash + 1));
  return appKey === undefined || ref === undefined ? undefined : { appKey, ref };
}
