import {
  applicationGroup,
  applicationKind,
  applicationVersion,
  parseApplication,
} from '../../api/application.js';
import type { KubeObject } from '../../api/object.js';
import type { Cluster } from '../../cluster/cluster.js';
import { WatchManager, type WatchEvent } from '../../cluster/watch.js';
import {
  Controller,
  defaultControllerOptions,
  managedWatches,
} from '../../reconcile/controller.js';
import type { AuditSink } from '../../reconcile/audit.js';
import type { Logger } from '../../reconcile/log.js';
import type { SealingKeyRing } from '../../reconcile/sealing-keys.js';
import type { GitSource } from '../../source/source.js';
import { parseAssignment } from '../assignment.js';
import { HubLink } from './hub-link.js';
import { HubClient } from './hub.js';
import {
  applicationInfo,
  assignmentInfo,
  kubernetesVersionOf,
  mirrorVersionOf,
  versionOf,
} from './kinds.js';
import { appliedRevisions, mirrorAssignment, mirrorLabels } from './mirror.js';
import { whoAmI } from '../../cluster/whoami.js';
import { agentOptionProblems, defaultAgentOptions, type AgentOptions } from './options.js';
import { assignmentStatusOf } from './report.js';
import { spokeSealingKeyRing } from './sealing.js';
import { refusedStatus, StatusPusher } from './status-push.js';

export interface AgentDeps {
  /** The cluster the agent runs on, with its own rights (in-cluster or a kubeconfig). */
  spoke: Cluster;
  /** The hub, with the Cluster's own identity: it can read only this Cluster's namespace. */
  hub: Cluster;
  /** Fetches Git with the read-only credentials stored on the spoke. */
  source: GitSource;
  logger: Logger;
  /** The spoke's audit ledger: what was applied, and every refused commit. */
  audit?: AuditSink;
}

/** Why the agent stopped. */
export type AgentEnd = { kind: 'stopped' } | { kind: 'deregistered'; message: string };

export interface RunningAgent {
  /** Resolves once the agent has stopped: by stop(), or because the hub deregistered it. */
  readonly done: Promise<AgentEnd>;
  /** The port of /healthz, /readyz and /metrics, when the Controller serves them. */
  readonly port: number | undefined;
  /** Whether the hub answered the last request. */
  hubReachable(): boolean;
  stop(): Promise<void>;
}

/** Options that cannot work; the message names each problem. */
export class AgentOptionsError extends Error {
  override readonly name = 'AgentOptionsError';
  constructor(readonly problems: readonly string[]) {
    super(`ballast agent: ${problems.join('; ')}`);
  }
}

/**
 * Mirrors this Cluster's Assignments into Applications on the spoke and runs the Controller
 * over them in-process; reports their status back, renews the heartbeat Lease. The spoke's
 * Applications are its persisted copy: while the hub is unreachable the Controller keeps
 * healing from them, and an agent restarted then starts from them too.
 */
export async function startAgent(
  deps: AgentDeps,
  partial: Partial<AgentOptions> = {},
): Promise<RunningAgent> {
  const opts = { ...defaultAgentOptions(), ...partial };
  const problems = agentOptionProblems(opts);
  if (problems.length > 0) throw new AgentOptionsError(problems);
  const agent = new Agent(deps, opts);
  const port = await agent.start();
  return {
    done: agent.done,
    port,
    hubReachable: () => agent.link.up,
    stop: () => agent.stop(),
  };
}

class Agent {
  readonly hub: HubClient;
  readonly link: HubLink;
  readonly controller: Controller;
  /** The spoke's own SealedSecrets keys (see sealing.ts). */
  private readonly sealing: SealingKeyRing;
  private assignmentWatch: WatchManager | undefined;
  private appWatch: WatchManager | undefined;
  /** The last Assignment object the hub showed, by name. */
  private readonly assignments = new Map<string, KubeObject>();
  /** The Assignment version each mirror was applied from, by name. */
  private readonly mirrored = new Map<string, string>();
  /**
   * Assignments whose current version was refused. The spoke keeps running their last allowed
   * mirror, whose status must not replace the refusal on the hub.
   */
  private readonly refused = new Set<string>();
  /**
   * Each mirrored Application as the watch last delivered it: a resync reports from these, not
   * from its own list, which may predate a status the watch already delivered and pushed.
   */
  private readonly latestApps = new Map<string, KubeObject>();
  /** Who the agent is on the spoke, asked once: the requester of an undo's rollback. */
  private spokeUser: string | undefined;
  private readonly statuses: StatusPusher;
  private resyncTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private clusterStatusWritten = false;
  private finish: (end: AgentEnd) => void = () => undefined;
  readonly done = new Promise<AgentEnd>((resolve) => (this.finish = resolve));

  constructor(
    private readonly deps: AgentDeps,
    private readonly opts: AgentOptions,
  ) {
    this.hub = new HubClient(deps.hub, opts.clusterName, opts.fleetNamespace, 10_000);
    this.statuses = new StatusPusher(
      this.hub,
      () => this.link.up && !this.ended,
      (e) => {
        this.hubFailed(e);
      },
    );
    this.link = new HubLink({
      logger: deps.logger,
      server: deps.hub.http.server,
      initialMs: opts.backoffInitialMs,
      maxMs: opts.backoffMaxMs,
      reconnect: () => this.resync(),
      onDeregistered: (message) => {
        this.deregistered(message);
      },
      hubReady: () => this.hub.ready(),
      beatGraceMs: opts.heartbeatTimeoutMs - opts.heartbeatIntervalMs,
    });
    const scope = opts.scope === 'namespace' ? { namespace: opts.namespace } : {};
    this.sealing = spokeSealingKeyRing(deps.spoke, opts, (fields, msg) => {
      deps.logger.warn(fields, msg);
    });
    this.controller = new Controller(
      {
        cluster: deps.spoke,
        source: deps.source,
        sealingKeys: this.sealing.current,
        watches: managedWatches(
          deps.spoke,
          (e) => {
            deps.logger.warn({ err: e.message }, 'watch error');
          },
          scope,
        ),
        ...(deps.audit === undefined ? {} : { audit: deps.audit }),
      },
      {
        ...defaultControllerOptions(),
        ...opts.controller,
        namespace: opts.namespace,
        logger: deps.logger,
      },
    );
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  async start(): Promise<number | undefined> {
    if (this.opts.scope === 'cluster')
      await this.deps.spoke.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: this.opts.namespace },
      });
    // Keys first, so the first reconciles open SealedSecrets; a failed read is retried later.
    await this.sealing.start();
    if (this.opts.sealingKeyRenewPeriodMs > 0) void this.sealing.lead();
    // Healing starts from the Applications already on the spoke, whether the hub answers or not.
    const { port } = await this.controller.start();
    this.watchApplications();
    await this.connect();
    // Deregistered at the first contact: nothing more to start.
    if (this.ended) return port;
    this.watchAssignments();
    this.link.startBeats(
      () => this.hub.renewLease(this.opts.heartbeatTimeoutMs),
      this.opts.heartbeatIntervalMs,
    );
    this.log.info(
      { cluster: this.opts.clusterName, namespace: this.opts.namespace, hub: this.hub.namespace },
      'agent started',
    );
    return port;
  }

  /** The first contact. */
  private async connect(): Promise<void> {
    try {
      await this.resync();
      this.link.renewed();
    } catch (e) {
      this.hubFailed(e);
      // Whatever failed the first contact, it is retried with backoff until it passes.
      this.link.goDown();
    }
  }

  /** The agent's and the spoke's versions, once per start, at the first contact that works. */
  private async writeClusterStatus(): Promise<void> {
    const found = await this.hub.writeClusterStatus({
      agentVersion: this.opts.agentVersion,
      kubernetesVersion: await kubernetesVersionOf(this.deps.spoke),
    });
    if (!found)
      this.log.warn(
        { cluster: this.opts.clusterName, fleetNamespace: this.opts.fleetNamespace },
        'no Cluster of this name on the hub; its status was not written',
      );
    this.clusterStatusWritten = true;
  }

  /**
   * Brings the spoke and the hub level: renews the Lease, mirrors every Assignment, deletes
   * the mirrors of Assignments that are gone (their finalizer prunes), and reports every
   * status. Throws what the hub answered; HubLink decides what that means.
   */
  private async resync(): Promise<void> {
    await this.hub.renewLease(this.opts.heartbeatTimeoutMs);
    if (!this.clusterStatusWritten) await this.writeClusterStatus();
    const listed = await this.hub.listAssignments();
    const names = new Set(listed.map((a) => a.metadata.name));
    const mirrors = await this.deps.spoke.list(applicationInfo, {
      namespace: this.opts.namespace,
      labelSelector: `${mirrorLabels.agent}=${this.opts.clusterName}`,
    });
    const orphans = mirrors.filter((m) => !names.has(m.metadata.name));
    // A namespace being deleted loses its Assignments first: that is deregistration, not a
    // removal from placement, and must not prune the workloads.
    if (orphans.length > 0) await this.hub.probeNamespace();
    for (const n of [...this.assignments.keys()]) if (!names.has(n)) this.assignments.delete(n);
    const onSpoke = new Map(mirrors.map((m) => [m.metadata.name, mirrorVersionOf(m)]));
    for (const m of mirrors)
      if (!this.latestApps.has(m.metadata.name)) this.latestApps.set(m.metadata.name, m);
    for (const a of listed) {
      this.assignments.set(a.metadata.name, a);
      await this.mirror(a, onSpoke.get(a.metadata.name) ?? 'absent');
    }
    for (const m of orphans) await this.unmirror(m.metadata.name);
    this.statuses.reset();
    const latest = (m: KubeObject): KubeObject => this.latestApps.get(m.metadata.name) ?? m;
    for (const m of mirrors) if (names.has(m.metadata.name)) this.report(latest(m));
    // Written here, not when queued: the link is still down until this resolves.
    await this.statuses.pushAll();
    // A status the watch delivered while those were written must be the last one written.
    for (const m of mirrors) if (names.has(m.metadata.name)) this.report(latest(m));
  }

  /**
   * Applies the Application for one Assignment, unless it was applied from this version:
   * `onSpoke` is the version the mirror on the spoke says (resync), else the agent's memory.
   */
  private async mirror(a: KubeObject, onSpoke?: string): Promise<void> {
    const name = a.metadata.name;
    const version = versionOf(a);
    if ((onSpoke ?? this.mirrored.get(name)) === version) {
      this.mirrored.set(name, version);
      this.refused.delete(name);
      return;
    }
    const parsed = parseAssignment(a);
    if (parsed.kind === 'error') {
      this.refuse(a, 'InvalidAssignment', parsed.error.problems.join('; '));
      return;
    }
    const result = await mirrorAssignment(parsed.value, this.opts, {
      applied: appliedRevisions(this.latestApps.get(name)),
      spokeUser: async () => (this.spokeUser ??= await whoAmI(this.deps.spoke)),
    });
    if (result.kind === 'refused') {
      this.refuse(a, result.reason, result.message);
      return;
    }
    try {
      await this.deps.spoke.apply(result.application);
      this.mirrored.set(name, version);
      this.refused.delete(name);
      this.log.info({ assignment: name, revision: parsed.value.spec.revision }, 'mirrored');
    } catch (e) {
      this.log.warn({ assignment: name, err: String(e) }, 'applying the Application failed');
    }
  }

  private async unmirror(name: string): Promise<void> {
    this.assignments.delete(name);
    this.mirrored.delete(name);
    this.refused.delete(name);
    this.statuses.forget(name);
    this.latestApps.delete(name);
    await this.deps.spoke.delete({
      apiVersion: `${applicationGroup}/${applicationVersion}`,
      group: applicationGroup,
      kind: applicationKind,
      namespace: this.opts.namespace,
      name,
    });
    this.log.info(
      { assignment: name },
      'Assignment deleted; its Application is deleted and pruned',
    );
  }

  /** An Assignment the agent will not run: Stalled on the hub, the spoke left as it was. */
  private refuse(a: KubeObject, reason: string, message: string): void {
    this.log.warn({ assignment: a.metadata.name, reason, err: message }, 'Assignment refused');
    this.refused.add(a.metadata.name);
    this.statuses.queue(a.metadata.name, refusedStatus(a, reason, message));
  }

  /** The status of a mirrored Application, queued for its Assignment. */
  private report(app: KubeObject): void {
    if (this.refused.has(app.metadata.name)) return;
    const parsed = parseApplication(app);
    if (parsed.kind === 'ok')
      this.statuses.queue(app.metadata.name, assignmentStatusOf(parsed.value));
  }

  private readonly hubFailed = (e: unknown): void => {
    if (!this.ended) this.link.failed(e);
  };

  private watchApplications(): void {
    this.appWatch = new WatchManager(this.deps.spoke.http, {
      namespace: this.opts.namespace,
      labelSelector: `${mirrorLabels.agent}=${this.opts.clusterName}`,
      onEvent: (e) => {
        this.onApplication(e);
      },
      onError: (e) => {
        this.log.warn({ err: e.message }, 'Application watch error');
      },
    });
    void this.appWatch.ensure(applicationInfo);
  }

  private onApplication(e: WatchEvent): void {
    const name = e.object.metadata.name;
    if (e.type !== 'DELETED') {
      this.latestApps.set(name, e.object);
      this.report(e.object);
      return;
    }
    this.latestApps.delete(name);
    // Deleted by someone else while its Assignment stands: put it back.
    this.mirrored.delete(name);
    const a = this.assignments.get(name);
    if (a !== undefined && !this.ended) void this.mirror(a);
  }

  private watchAssignments(): void {
    this.assignmentWatch = new WatchManager(this.deps.hub.http, {
      namespace: this.hub.namespace,
      labelSelector: '',
      backoffInitialMs: this.opts.backoffInitialMs,
      backoffMaxMs: this.opts.backoffMaxMs,
      onEvent: (e) => {
        this.onAssignment(e);
      },
      onError: (e) => {
        this.hubFailed(e);
      },
    });
    void this.assignmentWatch.ensure(assignmentInfo);
  }

  private onAssignment(e: WatchEvent): void {
    if (this.ended) return;
    if (e.type === 'DELETED') {
      // Deletions go through resync, which first checks this is not a deregistration.
      this.scheduleResync();
      return;
    }
    this.assignments.set(e.object.metadata.name, e.object);
    if (this.mirrored.get(e.object.metadata.name) === versionOf(e.object)) return;
    void this.mirror(e.object);
  }

  private scheduleResync(): void {
    if (this.resyncTimer !== undefined) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.link.up && !this.ended) this.resync().catch(this.hubFailed);
    }, 200);
  }

  private deregistered(message: string): void {
    if (this.ended) return;
    this.log.error(
      { cluster: this.opts.clusterName, hub: this.hub.namespace, err: message },
      'the hub refused this cluster (deregistered, or its identity revoked): reconciling stopped, Applications and workloads left running',
    );
    void this.shutDown().then(() => {
      this.finish({ kind: 'deregistered', message });
    });
  }

  private async shutDown(): Promise<void> {
    this.ended = true;
    this.link.stop();
    if (this.resyncTimer !== undefined) clearTimeout(this.resyncTimer);
    await this.assignmentWatch?.stop();
    await this.appWatch?.stop();
    await this.controller.stop();
    this.sealing.stop();
  }

  async stop(): Promise<void> {
    if (this.ended) return;
    await this.shutDown();
    this.finish({ kind: 'stopped' });
  }
}
