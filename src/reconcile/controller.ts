import { applicationApiVersion, applicationKind } from '../api/application.js';
import type { KubeObject } from '../api/object.js';
import { desiredFor, handleDrift, ownerKeyOf } from './drift.js';
import { formatDriftKey, type DriftKey } from './drift-key.js';
import { appKeyOf, parseAppKey, type AppKey } from '../api/app-key.js';
import { holdsDesired } from '../diff/index.js';
import { logFnOf, reconcileLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { WorkQueue } from './queue.js';
import { WatchManager } from '../cluster/watch.js';
import { ControllerHttp } from './http-server.js';
import type { DecryptionKeys } from '../secrets/index.js';
import type { AuditSink } from './audit.js';
import { reconcileApplication } from './reconcile.js';
import { VaultValues } from '../vault/index.js';
import { AppStates } from './app-state.js';
import { startRunner, type Outcome, type Runner } from './runner.js';
import { refOf } from '../api/object.js';
import type { ManagedEvent, ManagedWatches } from './managed-watches.js';
import { announceHealthTurn, writeStatus } from './status.js';
import { KeyedTurns } from './turns.js';
import { apiFailureOutcome } from './errors.js';
import { logReconcileResult } from './result-log.js';
import { PushCoalescer, pushWindowMs } from './push-coalesce.js';
import { ShardGate } from './shard-gate.js';
import { Resync } from './resync.js';
import type { ShardWork } from './shard-elector.js';
import { parseDriftKey } from './drift-key.js';

export { managedWatches, type ManagedEvent, type ManagedWatches } from './managed-watches.js';
export {
  defaultControllerOptions,
  type ControllerDeps,
  type ControllerOptions,
} from './controller-options.js';
import type { ControllerDeps, ControllerOptions } from './controller-options.js';

/** The controller: Applications reconciled by key, managed objects watched for drift. */
export class Controller {
  /** What is known of each Application between reconciles; see AppStates. */
  private readonly apps = new AppStates();
  /** The Vault values each Application uses, in memory only; see VaultValues. */
  private readonly vault = new VaultValues();
  private readonly appQueue = new WorkQueue<AppKey>();
  private readonly pushes = new PushCoalescer<AppKey>(
    pushWindowMs,
    (k) => {
      this.appQueue.add(k);
    },
    (k) => this.appQueue.isProcessing(k),
  );
  private readonly driftQueue = new WorkQueue<DriftKey>({ baseDelayMs: 50, maxDelayMs: 10_000 });
  /** Applications whose health moved since their status was written. */
  private readonly healthQueue = new WorkQueue<AppKey>({ baseDelayMs: 200, maxDelayMs: 30_000 });
  /** Status writers of one Application (its reconcile, its health updates) take turns. */
  private readonly statusTurns = new KeyedTurns();
  private runners: Runner[] = [];
  /** Lists the Applications every appPollMs, and at once when a shard is taken. */
  private readonly resync: Resync;
  /** When sharded: which Applications are ours now; see ShardGate. */
  private readonly gate: ShardGate | undefined;
  /** Runs of Applications not ours (any more) that the gate let through as no-ops. */
  private readonly skipped = new Set<string>();
  private watches: ManagedWatches | undefined;
  private appWatch: WatchManager | undefined;
  private server: ControllerHttp | undefined;
  private ready = false;
  private listening: Promise<number | undefined> | undefined;
  readonly metrics = new Metrics();

  constructor(
    private readonly deps: ControllerDeps,
    private readonly opts: ControllerOptions,
  ) {
    this.resync = new Resync(opts.appPollMs, () => this.pollApplications());
    this.gate =
      opts.shards === undefined
        ? undefined
        : new ShardGate({
            shards: opts.shards,
            drainMs: opts.drainMs,
            gained: (shard) => {
              this.log.info({ shard }, 'shard taken; listing its Applications');
              this.metrics.shardsHeld(this.gate?.held() ?? [], opts.shards ?? 0);
              this.resync.now();
            },
            dropped: (shard) => {
              this.metrics.shardsHeld(this.gate?.held() ?? [], opts.shards ?? 0);
              for (const k of this.apps.keys())
                if (this.gate?.shardOf(k) === shard) this.forgetApp(k);
            },
          });
    if (opts.shards !== undefined) this.metrics.shardsHeld([], opts.shards);
  }

  /**
   * What a ShardElector hands shards to; undefined unless the controller is sharded. Start the
   * controller before the elector, so a shard taken is listed at once.
   */
  get shardWork(): ShardWork | undefined {
    return this.gate;
  }

  /** Whether this controller works on `key` now: always, unless sharded. */
  private owns(key: AppKey): boolean {
    return this.gate?.owns(key) ?? true;
  }

  /** Runs a pass of `key` only while it is ours; see ShardGate.run. */
  private gated<T>(key: AppKey, pass: (signal?: AbortSignal) => Promise<T>, idle: T): Promise<T> {
    return this.gate === undefined ? pass() : this.gate.run(key, pass, idle);
  }

  /**
   * Serves /healthz, /readyz, /metrics and the webhooks without reconciling yet: a replica
   * waiting for the lease must answer its liveness probe. /readyz stays 503 until `start`, so
   * a Service routes webhooks to the leader only. Idempotent.
   */
  listen(): Promise<number | undefined> {
    this.listening ??= this.startHttp();
    return this.listening;
  }

  private async startHttp(): Promise<number | undefined> {
    if (this.opts.httpPort === undefined) return undefined;
    const { http, port } = await ControllerHttp.start({
      port: this.opts.httpPort,
      host: this.opts.httpHost,
      webhookSecret: this.opts.webhookSecret,
      logger: this.log,
      ready: () => this.ready,
      scrape: () => this.metrics.scrape(),
      routes: this.opts.httpRoutes,
      onPush: (urls) => {
        const keys = new Set(urls.flatMap((u) => this.apps.byRepo(u)));
        for (const k of keys) this.pushes.push(k);
        return [...keys];
      },
    });
    this.server = http;
    return port;
  }

  async start(): Promise<{ port: number | undefined }> {
    const port = await this.listen();
    this.watches = this.deps.watches?.((e) => {
      this.onManagedEvent(e);
    });
    const appRunner = startRunner(
      this.appQueue,
      async (key, ctx) => {
        // Every line of this run carries its reconcileId and key, whoever writes it.
        const { log } = reconcileLogger(this.opts.logger, ctx);
        const deps = {
          cluster: this.deps.cluster,
          source: this.deps.source,
          apps: this.apps,
          log,
          audit: this.audit,
          ...this.ledgerGate(),
          ...this.sharedKeysFor(key),
          ...(this.deps.sealingKeys === undefined ? {} : { sealingKeys: this.deps.sealingKeys }),
          healthWatched: this.watches !== undefined,
          untracked: (o: KubeObject) => this.untracked(o),
          defaultServiceAccount: this.opts.defaultServiceAccount,
          vault: {
            values: this.vault,
            defaultAddress: this.deps.vaultAddress,
            allowedAddresses: this.deps.vaultAllowedAddresses,
          },
          notify: this.deps.notify,
        };
        const outcome = await this.gated(
          key,
          async (shard) => {
            const run =
              shard === undefined ? ctx : { ...ctx, signal: AbortSignal.any([ctx.signal, shard]) };
            const done = await this.statusTurns.run(key, () =>
              reconcileApplication(deps, key, run),
            );
            await this.watchDesiredKinds(key).catch(() => undefined);
            return done;
          },
          undefined,
        );
        if (outcome !== undefined) return outcome;
        // Queued while its shard was ours: nothing ran, so nothing is counted or logged.
        this.skipped.add(ctx.reconcileId);
        return { kind: 'ok' };
      },
      {
        workers: this.opts.workers,
        onResult: (r) => {
          if (this.skipped.delete(r.reconcileId)) return;
          this.metrics.reconciled(r.outcome, r.durationMs);
          logReconcileResult(this.log, r);
        },
      },
    );
    this.runners.push(appRunner, this.startDriftRunner(), this.startHealthRunner());
    this.metrics.bind({
      appQueueDepth: () => this.appQueue.depth(),
      driftQueueDepth: () => this.driftQueue.depth(),
      inFlight: () => appRunner.inFlight(),
      watches: () => (this.watches?.count?.() ?? 0) + (this.appWatch?.count() ?? 0),
    });
    await this.resync.run();
    await this.watchApplications().catch((e: unknown) => {
      this.log.warn({ err: String(e) }, 'cannot watch Applications; polling only');
    });
    this.ready = true;
    return { port };
  }

  /** The controller-wide decryption keys, where the Application's namespace may use them. */
  private sharedKeysFor(key: AppKey): { decryptionKeys?: DecryptionKeys } {
    const keys = this.deps.decryptionKeys;
    const allowed = this.opts.sharedDecryptionNamespaces;
    const ns = parseAppKey(key)?.namespace ?? '';
    return keys !== undefined && (allowed === 'all' || allowed.includes(ns))
      ? { decryptionKeys: keys }
      : {};
  }

  /** Counts each outcome, then hands it to the ledger when there is one. */
  private readonly audit: AuditSink = async (entry) => {
    this.metrics.outcome(entry.kind);
    await this.deps.audit?.(entry);
  };

  private ledgerGate(): { ledgerUnavailable?: () => Error | undefined } {
    const gate = this.deps.ledgerUnavailable;
    return gate === undefined ? {} : { ledgerUnavailable: gate };
  }

  private get log(): Logger {
    return this.opts.logger;
  }

  /** Writes an Application's health when watch events moved it; no fetch, no render. */
  private startHealthRunner(): Runner {
    return startRunner(
      this.healthQueue,
      (key) =>
        this.gated(
          key,
          () =>
            this.statusTurns.run(key, async (): Promise<Outcome> => {
              const cache = this.apps.desired(key);
              const before = cache?.observed.healthWritten();
              const update = cache?.observed.healthUpdate();
              if (cache === undefined || update === undefined) return { kind: 'ok' };
              try {
                await writeStatus(this.deps.cluster, cache.app, update);
                announceHealthTurn(this.deps.notify, cache.app, {
                  before,
                  status: update.health.status,
                  message: update.health.message,
                  revision: cache.revision,
                });
                return { kind: 'ok' };
              } catch (e) {
                return apiFailureOutcome(key, e);
              }
            }),
          { kind: 'ok' },
        ),
      // No short timeout: a health write waits its turn behind a reconcile of the same app.
      { workers: 2 },
    );
  }

  private startDriftRunner(): Runner {
    const log = logFnOf(this.log);
    return startRunner(
      this.driftQueue,
      (key) => {
        const appKey = parseDriftKey(key)?.appKey;
        const drift = (): Promise<Outcome> =>
          handleDrift(
            {
              // A heal is waited on: it must not queue behind a resync's bulk of reads.
              cluster: this.deps.cluster.urgent(),
              defaultServiceAccount: this.opts.defaultServiceAccount,
              desired: (k) => this.apps.desired(k),
              requestReconcile: (k) => {
                this.appQueue.add(k);
              },
              audit: this.audit,
              notify: this.deps.notify,
              ...this.ledgerGate(),
              statusTurn: (k, write) => this.statusTurns.run(k, write),
              onDrift: (d) => {
                this.metrics.drift(d.healed);
                log({ key, healed: d.healed }, d.healed ? 'drift reverted' : 'drift found');
              },
            },
            key,
          );
        return appKey === undefined ? drift() : this.gated(appKey, drift, { kind: 'ok' });
      },
      { workers: 4, timeoutMs: 60_000 },
    );
  }

  /** True when an open watch of its kind shows no object of this identity with a tracking label. */
  private async untracked(obj: KubeObject): Promise<boolean> {
    const watches = this.watches;
    if (watches?.tracked === undefined) return false;
    const info = await this.deps.cluster.discovery.resolve(obj.apiVersion, obj.kind);
    const ns = obj.metadata.namespace ?? '';
    return info !== undefined && watches.tracked(info, ns, obj.metadata.name) === false;
  }

  /** Watches every kind the Application manages, so a manual change is seen within a second. */
  private async watchDesiredKinds(key: AppKey): Promise<void> {
    const cache = this.apps.desired(key);
    const watches = this.watches;
    if (cache === undefined || watches === undefined) return;
    const kinds = new Map(
      cache.objects.map((d) => [`${d.object.apiVersion}|${d.object.kind}`, d.object]),
    );
    await Promise.all(
      [...kinds.values()].map(async (o) => {
        const info = await this.deps.cluster.discovery.resolve(o.apiVersion, o.kind);
        if (info !== undefined) await watches.ensure(info).catch(() => undefined);
      }),
    );
  }

  /**
   * A managed object changed. Its health is updated from the event itself. It is queued for a
   * drift check only when it no longer holds every value Ballast sets: status updates and
   * Ballast's own writes cost no request.
   */
  private onManagedEvent({ type, object }: ManagedEvent): void {
    const appKey = ownerKeyOf(object);
    const cache = appKey === undefined ? undefined : this.apps.desired(appKey);
    if (appKey === undefined || cache === undefined) return;
    if (cache.observed.event(type, object)) this.healthQueue.add(appKey);
    const queue = (): void => {
      this.driftQueue.add(formatDriftKey(appKey, refOf(object)));
    };
    if (type === 'DELETED') queue();
    else
      void desiredFor(this.deps.cluster, cache, refOf(object)).then((desired) => {
        if (desired !== undefined && !holdsDesired(desired, object)) queue();
      }, queue);
  }

  /** Records an Application as listed or watched, and queues it when new or its trigger moved. */
  private observeApp(app: KubeObject): string | undefined {
    if (!this.owns(appKeyOf(app))) return undefined;
    const { key, changed } = this.apps.observe(app);
    if (changed) this.appQueue.add(key);
    return key;
  }

  private forgetApp(key: AppKey): void {
    this.apps.forget(key);
    this.appQueue.forget(key);
  }

  /** Watches Applications so a new or changed one is queued at once; the poll is a resync. */
  private async watchApplications(): Promise<void> {
    const info = await this.deps.cluster.discovery.resolve(applicationApiVersion, applicationKind);
    if (info === undefined) return;
    this.appWatch = new WatchManager(this.deps.cluster.http, {
      labelSelector: '',
      // Namespaced when the controller is, so a namespaced Role is enough to watch.
      namespace: this.opts.namespace,
      // Its first list catches up on anything the first poll missed (an apiserver still
      // warming up answers 429); observeApp queues each Application only once.
      announceInitialList: true,
      onEvent: (e) => {
        const ns = e.object.metadata.namespace ?? '';
        if (this.opts.namespace !== undefined && ns !== this.opts.namespace) return;
        if (e.type === 'DELETED') this.forgetApp(appKeyOf(e.object));
        else this.observeApp(e.object);
      },
      onError: (e) => {
        this.log.warn({ err: e.message }, 'Application watch error');
      },
    });
    await this.appWatch.ensure(info);
  }

  /** Reads the Application list and queues the ones that are new or whose trigger changed. */
  private async pollApplications(): Promise<void> {
    try {
      const info = await this.deps.cluster.discovery.resolve(
        applicationApiVersion,
        applicationKind,
      );
      if (info === undefined)
        throw new Error('the Application CRD is not installed; run `ballast install`');
      const apps = await this.deps.cluster.list(
        info,
        this.opts.namespace === undefined ? {} : { namespace: this.opts.namespace },
      );
      const keys = new Set(apps.flatMap((app) => this.observeApp(app) ?? []));
      for (const key of this.apps.keys().filter((k) => !keys.has(k))) this.forgetApp(key);
      this.metrics.applications = keys.size;
    } catch (e) {
      this.log.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'listing Applications failed',
      );
    }
  }

  /**
   * Stops taking work, lets in-flight reconciles finish within `drainMs` (then aborts them),
   * closes watches and the HTTP server. Returns the keys whose runs were aborted.
   */
  async stop(drainMs = this.opts.drainMs): Promise<{ aborted: string[] }> {
    this.ready = false;
    this.resync.stop();
    this.pushes.close();
    await this.watches?.stop();
    await this.appWatch?.stop();
    const results = await Promise.all(this.runners.map((r) => r.stop({ drainMs })));
    await this.server?.close();
    return { aborted: results.flatMap((r) => (r.kind === 'aborted' ? r.keys : [])) };
  }
}
