import { refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import { apiVersionOf, Discovery, type ResourceInfo } from './discovery.js';
import { KubeApiError, UnknownKindError } from './errors.js';
import { defaultConnectOptions, KubeHttp, type ConnectOptions } from './http.js';
import type { KubeAuth } from './kubeconfig.js';

/** The field manager every Ballast write uses. */
export const fieldManager = 'ballast';

export interface ApplyOptions {
  /** Ask the apiserver what it would store, without storing it. */
  dryRun: boolean;
  /** Take fields owned by other managers (conflicts are resolved in our favour, as GitOps requires). */
  force: boolean;
  /** How the apiserver treats unknown or duplicate fields: Strict fails, as `kubectl apply` does. */
  fieldValidation: 'Strict' | 'Warn' | 'Ignore';
}

export function defaultApplyOptions(): ApplyOptions {
  return { dryRun: false, force: true, fieldValidation: 'Strict' };
}

export interface DeleteOptions {
  /** Background leaves dependents to the garbage collector; Foreground waits for them. */
  propagationPolicy: 'Background' | 'Foreground' | 'Orphan';
}

export function defaultDeleteOptions(): DeleteOptions {
  return { propagationPolicy: 'Background' };
}

function collectionPath(info: ResourceInfo, namespace: string): string {
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  return info.namespaced && namespace !== ''
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${info.resource}`
    : `${base}/${info.resource}`;
}

/**
 * Whose rights a request uses: the credentials the client was given, or a ServiceAccount the
 * client impersonates, so the apiserver's RBAC judges the request as that account's own.
 */
export type Identity =
  { kind: 'own' } | { kind: 'serviceAccount'; namespace: string; name: string };

/** The user name the apiserver gives a ServiceAccount, as RBAC denials and audit logs name it. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The identity as messages name it. */
export function formatIdentity(identity: Identity): string {
  return identity.kind === 'own'
    ? "the controller's own credentials"
    : serviceAccountUser(identity.namespace, identity.name);
}

/** get, list, server-side apply (and its dry run) and delete against one cluster. */
export class Cluster {
  readonly discovery: Discovery;
  /** Headers that make the apiserver act as `identity`; empty for our own credentials. */
  private readonly actAs: Readonly<Record<string, string>>;

  private constructor(
    readonly http: KubeHttp,
    discovery: Discovery | undefined,
    readonly identity: Identity,
  ) {
    this.discovery = discovery ?? new Discovery(http);
    // Only the user is named: for a ServiceAccount the apiserver adds its groups itself, and
    // impersonating groups would need a wider grant than impersonating serviceaccounts.
    this.actAs =
      identity.kind === 'own'
        ? {}
        : { 'impersonate-user': serviceAccountUser(identity.namespace, identity.name) };
  }

  static connect(partial: Partial<ConnectOptions> = {}): Cluster {
    return new Cluster(KubeHttp.connect({ ...defaultConnectOptions(), ...partial }), undefined, {
      kind: 'own',
    });
  }

  /**
   * A client for credentials held in memory rather than in a kubeconfig file, such as a fleet
   * agent's hub certificate, whose key must not be written to disk.
   */
  static connectWith(auth: KubeAuth, partial: Partial<ConnectOptions> = {}): Cluster {
    return new Cluster(
      KubeHttp.withAuth(auth, { ...defaultConnectOptions(), ...partial }),
      undefined,
      { kind: 'own' },
    );
  }

  /**
   * The same connection and discovery, with every request made as `identity`. Discovery stays
   * our own: which kinds exist is not a secret, and one cache serves every identity.
   */
  as(identity: Identity): Cluster {
    return new Cluster(this.http, this.discovery, identity);
  }

  /** The same identity and discovery over the connection's urgent lane (`KubeHttp.urgent`). */
  urgent(): Cluster {
    return new Cluster(this.http.urgent(), this.discovery, this.identity);
  }

  /**
   * A client acting as the holder of `token` (a UI user), with its own connections and our
   * discovery cache. The caller closes it.
   */
  withBearerToken(token: string): Cluster {
    return new Cluster(this.http.withBearerToken(token), this.discovery, { kind: 'own' });
  }

  private send(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): ReturnType<KubeHttp['request']> {
    return this.http.request(method, path, body, { ...headers, ...this.actAs });
  }

  /** Resolves an object's kind, failing with UnknownKindError when it is not served. */
  async infoFor(obj: KubeObject): Promise<ResourceInfo> {
    const info = await this.discovery.resolve(obj.apiVersion, obj.kind);
    if (info === undefined) throw new UnknownKindError(obj.apiVersion, obj.kind, refOf(obj));
    return info;
  }

  objectPath(info: ResourceInfo, namespace: string, name: string): string {
    return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
  }

  /** The live object, or undefined when it does not exist. */
  async get(obj: KubeObject): Promise<KubeObject | undefined> {
    const info = await this.infoFor(obj);
    const ref = refOf(obj);
    const r = await this.send('GET', this.objectPath(info, ref.namespace, ref.name));
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw KubeApiError.from(ref, 'get', r.status, r.body, r.retryAfter);
    return JSON.parse(r.body) as KubeObject;
  }

  /**
   * The object a reference names (group, not version), read at the version discovery
   * prefers, as inventories and status lists name objects; `unserved` when no version of
   * its kind is served any more.
   */
  async getRef(
    ref: ObjectRef,
  ): Promise<
    { kind: 'served'; apiVersion: string; live: KubeObject | undefined } | { kind: 'unserved' }
  > {
    const info = await this.discovery.resolveGroupKind(ref.group, ref.kind);
    if (info === undefined) return { kind: 'unserved' };
    const apiVersion = apiVersionOf(info);
    const metadata = {
      name: ref.name,
      ...(ref.namespace === '' ? {} : { namespace: ref.namespace }),
    };
    return {
      kind: 'served',
      apiVersion,
      live: await this.get({ apiVersion, kind: ref.kind, metadata }),
    };
  }

  /** Lists a kind, optionally in one namespace and by label selector. */
  async list(
    info: ResourceInfo,
    opts: { namespace?: string; labelSelector?: string } = {},
  ): Promise<KubeObject[]> {
    const q =
      opts.labelSelector === undefined
        ? ''
        : `?labelSelector=${encodeURIComponent(opts.labelSelector)}`;
    const path = collectionPath(info, opts.namespace ?? '') + q;
    const r = await this.send('GET', path);
    if (r.status !== 200)
      throw KubeApiError.from(`${info.kind} list`, 'list', r.status, r.body, r.retryAfter);
    const list = JSON.parse(r.body) as { items?: KubeObject[] };
    const apiVersion = apiVersionOf(info);
    // List items omit apiVersion and kind; put them back so items are whole objects.
    return (list.items ?? []).map((o) => ({ ...o, apiVersion, kind: info.kind }));
  }

  /** Server-side apply with field manager `ballast`; returns what the apiserver stored (or would). */
  async apply(obj: KubeObject, partial: Partial<ApplyOptions> = {}): Promise<KubeObject> {
    return (await this.applyReporting(obj, partial)).object;
  }

  /** As apply, and says whether the apply created the object (201) or changed one (200). */
  async applyReporting(
    obj: KubeObject,
    partial: Partial<ApplyOptions> = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const opts = { ...defaultApplyOptions(), ...partial };
    const info = await this.infoFor(obj);
    const ref = refOf(obj);
    const params = new URLSearchParams({ fieldManager, fieldValidation: opts.fieldValidation });
    if (opts.force) params.set('force', 'true');
    if (opts.dryRun) params.set('dryRun', 'All');
    const path = `${this.objectPath(info, ref.namespace, ref.name)}?${params.toString()}`;
    const r = await this.send('PATCH', path, JSON.stringify(obj), {
      'content-type': 'application/apply-patch+yaml',
    });
    if (r.status !== 200 && r.status !== 201) {
      throw KubeApiError.from(
        ref,
        opts.dryRun ? 'apply (dry run)' : 'apply',
        r.status,
        r.body,
        r.retryAfter,
      );
    }
    return { object: JSON.parse(r.body) as KubeObject, created: r.status === 201 };
  }

  /** A JSON patch (RFC 6902), e.g. guarded by a `test` of resourceVersion. */
  async jsonPatch(obj: KubeObject, ops: readonly object[]): Promise<KubeObject> {
    const info = await this.infoFor(obj);
    const ref = refOf(obj);
    const params = new URLSearchParams({ fieldManager });
    const path = `${this.objectPath(info, ref.namespace, ref.name)}?${params.toString()}`;
    const r = await this.send('PATCH', path, JSON.stringify(ops), {
      'content-type': 'application/json-patch+json',
    });
    if (r.status !== 200) throw KubeApiError.from(ref, 'patch', r.status, r.body, r.retryAfter);
    return JSON.parse(r.body) as KubeObject;
  }

  /** Deletes an object; true when it was there. */
  async delete(
    ref: ObjectRef & { apiVersion: string },
    partial: Partial<DeleteOptions> = {},
  ): Promise<boolean> {
    const opts = { ...defaultDeleteOptions(), ...partial };
    const info = await this.discovery.resolve(ref.apiVersion, ref.kind);
    if (info === undefined) return false;
    const body = JSON.stringify({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: opts.propagationPolicy,
    });
    const r = await this.send('DELETE', this.objectPath(info, ref.namespace, ref.name), body, {
      'content-type': 'application/json',
    });
    if (r.status === 404) return false;
    if (r.status !== 200 && r.status !== 202)
      throw KubeApiError.from(ref, 'delete', r.status, r.body, r.retryAfter);
    return true;
  }

  close(): void {
    this.http.close();
  }
}
