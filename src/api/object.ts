/** Where an object came from in the rendered repo, so every error can point at it. */
export interface Origin {
  /** Path relative to the repository root. */
  file: string;
  /** 1-based line of the document's first line. */
  line: number;
}

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** The identity of one object: group, kind, namespace (empty for cluster scope) and name. */
export interface ObjectRef {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function refOf(obj: KubeObject): ObjectRef {
  return {
    group: groupOf(obj.apiVersion),
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
  };
}

/**
 * The one way an object is named in logs, errors, Events and the CLI: `kind/namespace/name`,
 * or `kind/name` when cluster-scoped. The kind is qualified by its group when it has one
 * (`Deployment.apps/web/api`), as kubectl does, so same-named kinds stay distinct.
 */
export function formatRef(ref: ObjectRef): string {
  const kind = ref.group === '' ? ref.kind : `${ref.kind}.${ref.group}`;
  return ref.namespace === '' ? `${kind}/${ref.name}` : `${kind}/${ref.namespace}/${ref.name}`;
}

/** A stable map key for an identity: `group|kind|namespace|name`, split by `parseRefKey`. */
export function refKey(ref: ObjectRef): string {
  return `${ref.group}|${ref.kind}|${ref.namespace}|${ref.name}`;
}

/**
 * The identity a `refKey` names, or undefined when `key` has fewer than four parts. A group,
 * a kind and a namespace never hold `|`; a name of some kinds may, so the name is the rest.
 */
export function parseRefKey(key: string): ObjectRef | undefined {
  const parts = key.split('|');
  if (parts.length < 4) return undefined;
  const [group = '', kind = '', namespace = ''] = parts;
  const name = parts.slice(3).join('|');
  return kind === '' || name === '' ? undefined : { group, kind, namespace, name };
}

/**
 * Orders text by code points, as Go's sort does: the same on every machine, and without
 * loading the ICU collation tables `localeCompare` needs (megabytes of resident memory).
 */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Is this the core `v1` Secret? Its values are masked in diffs and never reach the ledger. A
 * custom resource that happens to be called Secret is ordinary data.
 */
export function isSecret(ref: ObjectRef): boolean {
  return ref.group === '' && ref.kind === 'Secret';
}
