import { appKeyOf, type AppKey } from '../../api/app-key.js';
import { ballastApiVersion } from '../../api/resource.js';
import type { KubeObject } from '../../api/object.js';
import type { Cluster } from '../../cluster/cluster.js';
import { WatchManager, type WatchEvent } from '../../cluster/watch.js';
import { ControllerHttp } from '../../reconcile/http-server.js';
import { WorkQueue } from '../../reconcile/queue.js';
import { startRunner, type ReconcileResult, type Runner } from '../../reconcile/runner.js';
import { normalizeRepoUrl } from '../../reconcile/webhook.js';
import type { AuditSink } from '../../reconcile/audit.js';
import type { OutcomeTap } from '../../reconcile/status.js';
import type { GitSource } from '../../source/source.js';
import { agentLeaseName, assignmentLabels, clusterNamespacePrefix } from '../names.js';
import { sameJson } from './conditions.js';
import { ownerOf, type HubContext } from './context.js';
import { reconcileCluster } from './cluster-reconcile.js';
import { reconcileFleetApplication } from './fleet-reconcile.js';
import { observeBeat } from './heartbeat.js';
import type { HubOptions } from './options.js';
import { ObjectStore } from './store.js';
import { Coalescer } from './coalesce.js';
import { assignmentWake } from './wake.js';

/** What the hub runs against. */
export interface HubDeps {
  /** The hub apiserver, with the hub controller's own credentials. */
  hub: Cluster;
  /** Where FleetApplications' sources are fetched to resolve their targetRevision. */
  source: GitSource;
  /** The hub's audit ledger; rollout steps go unrecorded without one. */
  audit?: AuditSink;
  /** Hears each rollout step announced, for notifications; it queues and returns at once. */
  notify?: OutcomeTap;
}

/** The hub apiserver does not serve a kind the hub watches: the fleet CRDs are not installed. */
export class HubKindMissingError extends Error {
  override readonly name = 'HubKindMissingError';
  constructor(
    readonly kind: string,
    readonly apiVersion: string,
  ) {
    super(
      `the hub serves no ${kind} (${apiVersion}): install the fleet CRDs with \`ballast install --hub\``,
    );
  }
}

/** Whether a change to a Cluster can change which Assignments exist or what they hold. */
function placementMoved(before: KubeObject | undefined, after: KubeObject | undefined): boolean {
  if (before === undefined || after === undefined) return true;
  const ready = (o: KubeObject) => {
    const c = (
      o as { status?: { conditions?: { type: string; status: string; reason: string }[] } }
    ).status?.conditions?.find((x) => x.type === 'Ready');
    return [c?.status, c?.reason];
  };
  return !(
    sameJson(before.metadata.labels, after.metadata.labels) &&
    sameJson(before.metadata.annotations, after.metadata.annotations) &&
    sameJson(ready(before), ready(after))
  );
}

/** The hub controller: FleetApplications become Assignments; Leases and Assignments become status. */
export class Hub {
  /**
   * Backoff capped at 30 s: a hub whose apiserver was down for a minute would otherwise wait
   * minutes more (the queue's default cap is 5) before writing the Assignments it owes.
   */
  private readonly fleetQueue = new WorkQueue<AppKey>({ baseDelayMs: 200, maxDelayMs: 30_000 });
  private readonly clusterQueue = new WorkQueue<string>({ baseDelayMs: 200, maxDelayMs: 30_000 });
  /**
   * What agents report (Assignment status) reaches the FleetApplication and the Cluster within
   * `coalesceMs`, in one run per window: 500 agents reporting one commit would otherwise run
   * the whole FleetApplication 500 times, each over all 500 Assignments.
   */
  private readonly fleetSoon: Coalescer<AppKey>;
  private readonly clusterSoon: Coalescer;
  private readonly ctx: HubContext;
  private readonly watches: WatchManager[] = [];
  private runners: Runner[] = [];
  private server: ControllerHttp | undefined;
  private listening: Promise<number | undefined> | undefined;
  private ready = false;
  private reconciles = { ok: 0, retry: 0, terminal: 0 };

  constructor(
    deps: HubDeps,
    private readonly opts: HubOptions,
  ) {
    this.ctx = {
      hub: deps.hub,
      source: deps.source,
      opts,
      log: opts.logger,
      fleetApps: new ObjectStore(),
      clusters: new ObjectStore(),
      assignments: new ObjectStore(),
      beats: new Map(),
      resolved: new Map(),
      healthySince: new Map(),
      audit: deps.audit,
      notify: deps.notify,
    };
    this.fleetSoon = new Coalescer(opts.coalesceMs, (k) => {
      this.fleetQueue.add(k);
    });
    this.clusterSoon = new Coalescer(opts.coalesceMs, (k) => {
      this.clusterQueue.add(k);
    });
  }

  /**
   * Serves /healthz, /readyz, /metrics and the webhooks without reconciling yet: a replica
   * waiting for the Lease must answer its liveness probe. /readyz stays 503 until `start`, so
   * a Service routes webhooks to the leader only. Idempotent.
   */
  listen(): Promise<number | undefined> {
    this.listening ??= this.startHttp();
    return this.listening;
  }

  /**
   * Watches the fleet's kinds and Leases, and only once every first list is in starts
   * reconciling: a FleetApplication reconciled before all Clusters are known would delete the
   * Assignments of the ones not listed yet.
   */
  async start(): Promise<{ port: number | undefined }> {
    const port = await this.listen();
    // Only the agents' Leases: every node's and controller's would be read for nothing, and
    // RBAC can then grant list and watch of that one name instead of every Lease.
    const agentLeases = { fieldSelector: `metadata.name=${agentLeaseName}` };
    await Promise.all([
      this.watch({}, ballastApiVersion, 'FleetApplication', (e) => {
        this.onFleetApp(e);
      }),
      this.watch({}, ballastApiVersion, 'Cluster', (e) => {
        this.onCluster(e);
      }),
      this.watch(
        { labelSelector: assignmentLabels.cluster },
        ballastApiVersion,
        'Assignment',
        (e) => {
          this.onAssignment(e);
        },
      ),
      this.watch(agentLeases, 'coordination.k8s.io/v1', 'Lease', (e) => {
        this.onLease(e);
      }),
    ]);
    const onResult = (r: ReconcileResult): void => {
      this.logResult(r);
    };
    this.runners.push(
      startRunner(this.fleetQueue, (key, run) => reconcileFleetApplication(this.ctx, key, run), {
        workers: this.opts.workers,
        timeoutMs: 300_000,
        onResult,
      }),
      startRunner(this.clusterQueue, (name) => reconcileCluster(this.ctx, name), {
        workers: 2,
        timeoutMs: 60_000,
        onResult,
      }),
    );
    this.sweepOrphans();
    this.ready = true;
    return { port };
  }

  /** Queues the FleetApplications in scope that are gone but left Assignments behind. */
  private sweepOrphans(): void {
    for (const a of this.ctx.assignments.list()) {
      const owner = ownerOf(a);
      if (owner === undefined || !this.inScope(split(owner)[0])) continue;
      if (this.ctx.fleetApps.get(...split(owner)) === undefined) this.fleetQueue.add(owner);
    }
  }

  private inScope(namespace: string): boolean {
    return this.opts.namespace === undefined || namespace === this.opts.namespace;
  }

  private async watch(
    selectors: { labelSelector?: string; fieldSelector?: string },
    apiVersion: string,
    kind: string,
    onEvent: (e: WatchEvent) => void,
  ): Promise<void> {
    const info = await this.ctx.hub.discovery.resolve(apiVersion, kind);
    if (info === undefined) throw new HubKindMissingError(kind, apiVersion);
    const w = new WatchManager(this.ctx.hub.http, {
      labelSelector: selectors.labelSelector ?? '',
      fieldSelector: selectors.fieldSelector ?? '',
      announceInitialList: true,
      onEvent,
      onError: (e) => {
        this.ctx.log.warn({ err: e.message }, `${kind} watch error`);
      },
    });
    this.watches.push(w);
    await w.ensure(info);
  }

  private onFleetApp(e: WatchEvent): void {
    if (!this.inScope(e.object.metadata.namespace ?? '')) return;
    this.ctx.fleetApps.record(e.type, e.object);
    const key = appKeyOf(e.object);
    if (e.type === 'DELETED') {
      this.ctx.resolved.delete(key);
      this.ctx.healthySince.delete(key);
    }
    // Deleted too: a run then removes any Assignment it left, as without the finalizer.
    this.addFleet(key);
  }

  private onCluster(e: WatchEvent): void {
    if (e.object.metadata.namespace !== this.opts.fleetNamespace) return;
    const before = this.ctx.clusters.record(e.type, e.object);
    const name = e.object.metadata.name;
    if (e.type !== 'DELETED') this.clusterQueue.add(name);
    if (placementMoved(before, e.type === 'DELETED' ? undefined : e.object))
      for (const app of this.ctx.fleetApps.list()) this.addFleet(appKeyOf(app));
  }

  private onAssignment(e: WatchEvent): void {
    const ns = e.object.metadata.namespace ?? '';
    if (!ns.startsWith(clusterNamespacePrefix)) return;
    const before = this.ctx.assignments.record(e.type, e.object);
    const owner = ownerOf(e.object) ?? (before === undefined ? undefined : ownerOf(before));
    const cluster = ns.slice(clusterNamespacePrefix.length);
    if (assignmentWake(e.type, before, e.object) === 'soon') {
      if (owner !== undefined && this.inScope(split(owner)[0])) this.fleetSoon.soon(owner);
      this.clusterSoon.soon(cluster);
      return;
    }
    // An owner that is gone gets a run too, which deletes what it left.
    if (owner !== undefined && this.inScope(split(owner)[0])) this.addFleet(owner);
    this.clusterSoon.cancel(cluster);
    this.clusterQueue.add(cluster);
  }

  /** A run of `key` now, which also answers any run coalescing for it. */
  private addFleet(key: AppKey): void {
    this.fleetSoon.cancel(key);
    this.fleetQueue.add(key);
  }

  private onLease(e: WatchEvent): void {
    const ns = e.object.metadata.namespace ?? '';
    if (e.object.metadata.name !== agentLeaseName || !ns.startsWith(clusterNamespacePrefix)) return;
    const cluster = ns.slice(clusterNamespacePrefix.length);
    if (e.type === 'DELETED') this.ctx.beats.delete(cluster);
    else {
      const renewTime = (e.object as { spec?: { renewTime?: unknown } }).spec?.renewTime;
      const text = typeof renewTime === 'string' ? renewTime : undefined;
      this.ctx.beats.set(cluster, observeBeat(this.ctx.beats.get(cluster), text, this.opts.now()));
    }
    this.clusterSoon.cancel(cluster);
    this.clusterQueue.add(cluster);
  }

  /** A verified push: the FleetApplications of that repository resolve their revision now. */
  private onPush(urls: readonly string[]): string[] {
    const repos = new Set(urls.map(normalizeRepoUrl));
    const keys: AppKey[] = [];
    for (const app of this.ctx.fleetApps.list()) {
      const url = (app as { spec?: { template?: { source?: { repoURL?: unknown } } } }).spec
        ?.template?.source?.repoURL;
      if (typeof url !== 'string' || !repos.has(normalizeRepoUrl(url))) continue;
      const key = appKeyOf(app);
      this.ctx.resolved.delete(key);
      this.addFleet(key);
      keys.push(key);
    }
    return keys;
  }

  private async startHttp(): Promise<number | undefined> {
    if (this.opts.httpPort === undefined) return undefined;
    const { http, port } = await ControllerHttp.start({
      port: this.opts.httpPort,
      host: this.opts.httpHost,
      webhookSecret: this.opts.webhookSecret,
      logger: this.ctx.log,
      ready: () => this.ready,
      scrape: () =>
        Promise.resolve({ contentType: 'text/plain; version=0.0.4', body: this.metrics() }),
      onPush: (urls) => this.onPush(urls),
    });
    this.server = http;
    return port;
  }

  private metrics(): string {
    const r = this.reconciles;
    return [
      '# HELP ballast_hub_reconciles_total Hub reconciles by outcome.',
      '# TYPE ballast_hub_reconciles_total counter',
      ...Object.entries(r).map(([k, v]) => `ballast_hub_reconciles_total{outcome="${k}"} ${v}`),
      '# HELP ballast_hub_queue_depth Keys waiting for a worker.',
      '# TYPE ballast_hub_queue_depth gauge',
      `ballast_hub_queue_depth{queue="fleetapplications"} ${this.fleetQueue.depth()}`,
      `ballast_hub_queue_depth{queue="clusters"} ${this.clusterQueue.depth()}`,
      '# HELP ballast_hub_objects Objects the hub watches, by kind.',
      '# TYPE ballast_hub_objects gauge',
      `ballast_hub_objects{kind="FleetApplication"} ${this.ctx.fleetApps.size}`,
      `ballast_hub_objects{kind="Cluster"} ${this.ctx.clusters.size}`,
      `ballast_hub_objects{kind="Assignment"} ${this.ctx.assignments.size}`,
      '',
    ].join('\n');
  }

  private logResult(r: ReconcileResult): void {
    this.reconciles[r.outcome.kind] += 1;
    if (r.outcome.kind === 'ok') return;
    this.ctx.log.warn(
      { key: r.key, outcome: r.outcome.kind, attempt: r.attempt, err: r.outcome.error.message },
      'hub reconcile did not succeed',
    );
  }

  /** Stops reconciling (in-flight runs get `drainMs`), closes the watches and the HTTP server. */
  async stop(): Promise<void> {
    this.ready = false;
    await Promise.all(this.watches.map((w) => w.stop()));
    this.fleetSoon.stop();
    this.clusterSoon.stop();
    await Promise.all(this.runners.map((r) => r.stop({ drainMs: this.opts.drainMs })));
    await this.server?.close();
  }
}

function split(key: AppKey): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
