/**
 * An Application's identity and its key. The key, `<namespace>/<name>`, names an Application
 * in the work queues, the controller's state, messages and the audit ledger; this module is
 * the one place that builds or splits it.
 */

/** An Application's identity. */
export interface ApplicationId {
  namespace: string;
  name: string;
}

/** `<namespace>/<name>`: built only by `formatAppKey`, split only by `parseAppKey`. */
export type AppKey = string & { readonly __brand: 'AppKey' };

/** A namespace is a DNS label (RFC 1123): it never holds a `/`, a `.` or a `#`. */
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An Application's name is a DNS subdomain: labels joined by dots, at most 253 characters. */
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether `id` is one the apiserver could store: a DNS label namespace, a DNS subdomain name. */
export function isApplicationId(id: ApplicationId): boolean {
  return (
    id.namespace.length <= 63 &&
    dnsLabel.test(id.namespace) &&
    id.name.length <= 253 &&
    dnsSubdomain.test(id.name)
  );
}

export function formatAppKey(id: ApplicationId): AppKey {
  return `${id.namespace}/${id.name}` as AppKey;
}

/** The key of an Application object as the apiserver returns it. */
export function appKeyOf(app: { metadata: { namespace?: string; name: string } }): AppKey {
  return formatAppKey({ namespace: app.metadata.namespace ?? '', name: app.metadata.name });
}

/**
 * The identity a key names, or undefined when `key` is not `<namespace>/<name>` with a valid
 * namespace and name (the key may come from outside, e.g. an annotation on a live object).
 */
export function parseAppKey(key: string): ApplicationId | undefined {
  const slash = key.indexOf('/');
  if (slash < 0) return undefined;
  const id = { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
  return isApplicationId(id) ? id : undefined;
}

/** Narrows a key read back from a map or queue built with `formatAppKey`. */
export function asAppKey(key: string): AppKey | undefined {
  return parseAppKey(key) === undefined ? undefined : (key as AppKey);
}

export function sameApplication(a: ApplicationId, b: ApplicationId): boolean {
  return a.namespace === b.namespace && a.name === b.name;
}
