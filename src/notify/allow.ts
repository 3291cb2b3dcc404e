/**
 * Which URLs a notification may be sent to. A policy's URL is the tenant's to write, and the
 * controller POSTs from inside the cluster: without a list the operator wrote, a tenant could
 * make it reach internal addresses (the apiserver, cloud metadata, other tenants' services).
 */

/** An http(s) URL without credentials, as URL normalises it; undefined for anything else. */
function normal(url: string): URL | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    if (u.username !== '' || u.password !== '') return undefined;
    return u;
  } catch {
    return undefined;
  }
}

/** Whether `prefix` can be an allow-list entry: an http(s) URL with no credentials, query or fragment. */
export function allowedUrlPrefixProblem(prefix: string): string | undefined {
  const u = normal(prefix);
  if (u === undefined) return 'expected an http(s):// URL without user or password';
  if (u.search !== '' || u.hash !== '') return 'expected a URL prefix without ? or #';
  return undefined;
}

/**
 * Is `url` under one of `prefixes` (`--notification-allowed-url`)? Same scheme, host and port,
 * and a path that starts with the prefix's path at a segment boundary, so
 * `https://hooks.example/team` allows `/team/x` but not `/teammate`, and no `user@host` or
 * `host.evil` spelling gets past a prefix that is a string match only.
 */
export function notificationUrlAllowed(url: string, prefixes: readonly string[]): boolean {
  const u = normal(url);
  if (u === undefined) return false;
  return prefixes.some((p) => {
    const allowed = normal(p);
    if (allowed === undefined || allowed.origin !== u.origin) return false;
    const base = allowed.pathname;
    if (!u.pathname.startsWith(base)) return false;
    return (
      base.endsWith('/') || u.pathname.length === base.length || u.pathname[base.length] === '/'
    );
  });
}
