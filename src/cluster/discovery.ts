import type { KubeHttp } from './http.js';
import { KubeApiError } from './errors.js';

/** How one kind is served: its REST resource and scope. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: readonly string[];
}

/** The apiVersion an object of this kind is read and written as, e.g. `apps/v1` or `v1`. */
export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

const aggregatedAccept =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9';

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: {
        resource: string;
        responseKind?: { kind?: string };
        scope?: string;
        verbs?: string[];
      }[];
    }[];
  }[];
}

/** GVK → resource, from aggregated discovery (two requests for the whole API). */
export class Discovery {
  private byGvk = new Map<string, ResourceInfo>();
  private loaded = false;

  constructor(private readonly http: KubeHttp) {}

  private static key(apiVersion: string, kind: string): string {
    return `${apiVersion}|${kind}`;
  }

  /** Re-reads discovery; call after CRDs or APIServices change. */
  async refresh(): Promise<void> {
    const next = new Map<string, ResourceInfo>();
    for (const path of ['/api', '/apis']) {
      const r = await this.http.request('GET', path, undefined, { accept: aggregatedAccept });
      if (r.status !== 200)
        throw KubeApiError.from(`discovery ${path}`, 'get', r.status, r.body, r.retryAfter);
      const list = JSON.parse(r.body) as AggregatedList;
      if (list.kind !== 'APIGroupDiscoveryList') {
        throw new Error(
          `discovery ${path}: the apiserver does not serve aggregated discovery (Kubernetes 1.30 or newer is required)`,
        );
      }
      for (const g of list.items ?? []) {
        const group = g.metadata?.name ?? '';
        for (const v of g.versions ?? []) {
          for (const res of v.resources ?? []) {
            const kind = res.responseKind?.kind;
            if (kind === undefined || kind === '') continue;
            const apiVersion = group === '' ? v.version : `${group}/${v.version}`;
            next.set(Discovery.key(apiVersion, kind), {
              group,
              version: v.version,
              kind,
              resource: res.resource,
              namespaced: res.scope === 'Namespaced',
              verbs: res.verbs ?? [],
            });
          }
        }
      }
    }
    this.byGvk = next;
    this.loaded = true;
  }

  /** The resource serving apiVersion/kind, refreshing once on a miss (a CRD may be new). */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    if (!this.loaded) await this.refresh();
    const hit = this.byGvk.get(Discovery.key(apiVersion, kind));
    if (hit !== undefined) return hit;
    await this.refresh();
    return this.byGvk.get(Discovery.key(apiVersion, kind));
  }

  /**
   * The preferred version serving group/kind: status names objects without a version, and
   * discovery lists each group's versions most preferred first.
   */
  async resolveGroupKind(group: string, kind: string): Promise<ResourceInfo | undefined> {
    if (!this.loaded) await this.refresh();
    const find = (): ResourceInfo | undefined =>
      [...this.byGvk.values()].find((i) => i.group === group && i.kind === kind);
    const hit = find();
    if (hit !== undefined) return hit;
    await this.refresh();
    return find();
  }

  /** Every known kind, e.g. for listing objects by label across the cluster. */
  all(): ResourceInfo[] {
    return [...this.byGvk.values()];
  }
}
