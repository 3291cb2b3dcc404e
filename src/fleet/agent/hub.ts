import type { KubeObject } from '../../api/object.js';
import type { Cluster } from '../../cluster/cluster.js';
import { ApiServerUnreachableError, KubeApiError } from '../../cluster/errors.js';
import { LeaseClient, type Lease } from '../../reconcile/lease.js';
import { formatMicroTime } from '../../reconcile/microtime.js';
import { assignmentResource, type AssignmentStatus } from '../assignment.js';
import { clusterResource } from '../cluster.js';
import { agentLeaseName, clusterNamespace } from '../names.js';
import { statusPatch } from './report.js';

const group = 'ballast.dev/v1alpha1';

/** What a failed hub request means for the agent. */
export type HubTrouble =
  /** Not answering, or failing (5xx): keep healing, back off, try again. */
  | { kind: 'unreachable'; message: string }
  /** Answering "too many requests" (429), e.g. while its storage warms up: back off quietly. */
  | { kind: 'busy'; message: string }
  /** Our identity or namespace is gone (403, 401, a deleted namespace): stop reconciling. */
  | { kind: 'deregistered'; message: string }
  /** Anything else: an answer about this one request, logged. */
  | { kind: 'other'; message: string };

/** A failed hub request as the agent acts on it; the cause chain is searched, as watches wrap it. */
export function classifyHubError(e: unknown): HubTrouble {
  const message = e instanceof Error ? e.message : String(e);
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 8; depth++) {
    if (cur instanceof ApiServerUnreachableError) return { kind: 'unreachable', message };
    if (cur instanceof KubeApiError) {
      if (cur.status === 401 || cur.status === 403) return { kind: 'deregistered', message };
      if (cur.status === 404 && cur.details?.kind === 'namespaces')
        return { kind: 'deregistered', message };
      if (cur.status === 429) return { kind: 'busy', message };
      if (cur.status >= 500) return { kind: 'unreachable', message };
      return { kind: 'other', message };
    }
    if (/no answer within|no data for/.test(cur.message)) return { kind: 'unreachable', message };
    cur = cur.cause;
  }
  return { kind: 'other', message };
}

/** The hub requests of one Cluster's agent, each in its own namespace or on its own objects. */
export class HubClient {
  readonly namespace: string;
  private readonly lease: LeaseClient;
  /** The Lease as the last successful renewal wrote it. */
  private lastLease: Lease | undefined;

  constructor(
    readonly hub: Cluster,
    private readonly clusterName: string,
    private readonly fleetNamespace: string,
    requestTimeoutMs: number,
  ) {
    this.namespace = clusterNamespace(clusterName);
    this.lease = new LeaseClient(hub.http, this.namespace, agentLeaseName, requestTimeoutMs);
  }

  /** Every Assignment in the Cluster's namespace, as the hub stored it (parsed by the caller). */
  async listAssignments(): Promise<KubeObject[]> {
    const r = await this.hub.http.request('GET', this.collection());
    if (r.status !== 200)
      throw KubeApiError.from(`Assignments in ${this.namespace}`, 'list', r.status, r.body);
    const items = (JSON.parse(r.body) as { items?: KubeObject[] }).items ?? [];
    return items.map((o) => ({ ...o, apiVersion: group, kind: assignmentResource.kind }));
  }

  /** Sets an Assignment's status to exactly `status`, through the status subresource. */
  async writeAssignmentStatus(name: string, status: AssignmentStatus): Promise<'written' | 'gone'> {
    const path = `${this.collection()}/${encodeURIComponent(name)}/status`;
    const r = await this.hub.http.request('PATCH', path, JSON.stringify(statusPatch(status)), {
      'content-type': 'application/merge-patch+json',
    });
    if (r.status === 404) {
      const e = KubeApiError.from(
        `Assignment ${this.namespace}/${name}`,
        'write status',
        404,
        r.body,
      );
      // A vanished Assignment is news for the watch; a vanished namespace is deregistration.
      if (e.details?.kind === 'namespaces') throw e;
      return 'gone';
    }
    if (r.status !== 200)
      throw KubeApiError.from(
        `Assignment ${this.namespace}/${name}`,
        'write status',
        r.status,
        r.body,
      );
    return 'written';
  }

  /** Writes the agent's and the spoke's versions into the Cluster's status; false when there is no Cluster. */
  async writeClusterStatus(fields: {
    agentVersion: string;
    kubernetesVersion: string;
  }): Promise<boolean> {
    const path = `/apis/${group}/namespaces/${encodeURIComponent(this.fleetNamespace)}/${clusterResource.plural}/${encodeURIComponent(this.clusterName)}/status`;
    const r = await this.hub.http.request('PATCH', path, JSON.stringify({ status: fields }), {
      'content-type': 'application/merge-patch+json',
    });
    if (r.status === 404) return false;
    if (r.status !== 200)
      throw KubeApiError.from(
        `Cluster ${this.fleetNamespace}/${this.clusterName}`,
        'write status',
        r.status,
        r.body,
      );
    return true;
  }

  /**
   * Renews the heartbeat Lease, creating it on the first beat. The hub reads renewTime; the
   * holder names the Cluster so a person reading the Lease knows whose it is.
   */
  async renewLease(timeoutMs: number): Promise<void> {
    const spec = {
      holderIdentity: `ballast-agent/${this.clusterName}`,
      leaseDurationSeconds: Math.ceil(timeoutMs / 1000),
      renewTime: formatMicroTime(Date.now()),
    };
    // The Lease this agent last wrote is current unless someone else wrote since: one PUT
    // then, where a read first would double every heartbeat across the fleet.
    if (this.lastLease !== undefined) {
      const quick = await this.lease.update({
        ...this.lastLease,
        spec: { ...this.lastLease.spec, ...spec },
      });
      this.lastLease = quick.kind === 'written' ? quick.lease : undefined;
      if (quick.kind === 'written') return;
    }
    const read = await this.lease.get();
    const write =
      read.kind === 'absent'
        ? await this.lease.create({ ...spec, acquireTime: spec.renewTime })
        : await this.lease.update({ ...read.lease, spec: { ...read.lease.spec, ...spec } });
    // Another write in between (our own previous beat landing late): the next beat renews.
    this.lastLease = write.kind === 'written' ? write.lease : undefined;
  }

  /**
   * Throws unless the namespace still takes new objects. A namespace being deleted refuses
   * creates (403) before its Lease and Role are gone, so this tells a deregistration from
   * Assignments deleted one by one. A dry run: nothing is stored.
   */
  async probeNamespace(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases?dryRun=All`;
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: agentLeaseName, namespace: this.namespace },
      spec: {},
    };
    const r = await this.hub.http.request('POST', path, JSON.stringify(lease), {
      'content-type': 'application/json',
    });
    if (r.status !== 201 && r.status !== 200 && r.status !== 409)
      throw KubeApiError.from(`namespace ${this.namespace}`, 'probe', r.status, r.body);
  }

  /** Whether the hub apiserver answers /readyz with 200; false on any failure. */
  async ready(): Promise<boolean> {
    try {
      return (await this.hub.http.request('GET', '/readyz')).status === 200;
    } catch {
      return false;
    }
  }

  private collection(): string {
    return `/apis/${group}/namespaces/${encodeURIComponent(this.namespace)}/${assignmentResource.plural}`;
  }
}
