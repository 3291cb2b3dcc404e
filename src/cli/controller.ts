import { logLevelOption, untilSignalled } from './long-running.js';
import { setFlagsFromString } from 'node:v8';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  Controller,
  defaultControllerOptions,
  managedWatches,
  type ControllerOptions,
} from '../reconcile/controller.js';
import { Campaign, leaderElectOptions, type LeaderElectFlags } from './leader-elect.js';
import { shardOptions, startShardCampaign, type ShardFlags } from './shard-elect.js';
import type { ShardElector } from '../reconcile/shard-elector.js';
import { createLogger, type Logger, type LogLevel } from '../reconcile/log.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import { gitTimeoutOption, sourceCacheDir } from './source-args.js';
import { bindAddressOf, webhookSecretOf } from './http-flags.js';
import { port as controllerPort } from './install-workload.js';
import {
  connect,
  durationOption,
  kubeOptions,
  namespaceOption,
  type KubeFlags,
} from './options.js';
import {
  parseInteger,
  parseObjectName,
  parseObjectRef,
  collectNotificationUrl,
  collectVaultAddress,
  parseVaultAddress,
  type ObjectRef,
} from './parse.js';
import { defaultLedgerUrl } from '../audit/index.js';
import { ledgerOptions, openControllerLedger, type ControllerLedger } from './controller-ledger.js';
import { UiServer } from '../ui/server.js';
import { ClusterIdentities } from '../ui/session.js';
import { keysFromSecret } from './secrets.js';
import { retryableOf } from '../reconcile/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import type { DecryptionKeys } from '../secrets/index.js';
import { startRenderSandboxSweeper } from '../render/index.js';
import {
  clusterKeyStore,
  defaultSealingKeyOptions,
  SealingKeyRing,
} from '../reconcile/sealing-keys.js';
import { defaultNotifierOptions, Notifier } from '../notify/notifier.js';

interface ControllerFlags extends KubeFlags, LeaderElectFlags, ShardFlags {
  workers: number;
  port: number;
  cacheDir?: string;
  /** `--git-timeout`: how long one git call (a fetch) may take before it is killed. */
  gitTimeout: number;
  /** Has a default, so never undefined here. */
  leaseNamespace: string;
  /** `-n`: only this namespace's Applications; all when unset. */
  namespace?: string;
  webhookSecretFile?: string;
  metricsBindAddress?: string;
  /** The older name of --metrics-bind-address. */
  bindAddress?: string;
  allowFileRepos: boolean;
  logLevel: LogLevel;
  shutdownGrace: number;
  ledger: string;
  ledgerSigningKey?: string;
  ledgerCheckpointConfigmap?: ObjectRef | 'none';
  decryptionSecret?: ObjectRef;
  decryptionNamespaces?: string;
  defaultServiceAccount?: string;
  sealingKeyRenewPeriod: number;
  vaultAddress?: string;
  vaultAllowedAddress: string[];
  notificationAllowedUrl: string[];
  /** `--ui`: serve the web UI from the HTTP server, each user signed in with their own token. */
  ui: boolean;
}

/**
 * Who Applications act as, and who may use the shared decryption keys. With a default
 * ServiceAccount the controller serves tenants, so the shared keys serve nobody unless listed.
 */
function tenancyOf(
  f: ControllerFlags,
): Pick<ControllerOptions, 'defaultServiceAccount' | 'sharedDecryptionNamespaces'> {
  const sa = f.defaultServiceAccount;
  const list = f.decryptionNamespaces;
  const namespaces =
    list === undefined
      ? sa === undefined
        ? 'all'
        : []
      : list.trim() === '*'
        ? 'all'
        : list
            .split(',')
            .map((n) => n.trim())
            .filter((n) => n !== '');
  return { defaultServiceAccount: sa, sharedDecryptionNamespaces: namespaces };
}

/** The Lease the controller's replicas contend for. */
const controllerLease = 'ballast-controller';

export function registerController(program: Command): void {
  const d = defaultControllerOptions();
  const cmd = program
    .command('controller')
    .description('reconcile Applications continuously and revert drift');
  kubeOptions(cmd);
  namespaceOption(cmd, 'only Applications in this namespace', { kind: 'all' });
  cmd
    .option(
      '--workers <n>',
      'Applications reconciled at once',
      parseInteger({ min: 1, max: 1024 }),
      d.workers,
    )
    .option(
      '--port <port>',
      'port of /healthz, /readyz, /metrics and /hooks',
      parseInteger({ min: 0, max: 65_535 }),
      controllerPort,
    )
    .option(
      '--metrics-bind-address <ip>',
      `address of /healthz, /readyz, /metrics and /hooks (default: ${d.httpHost}; \`ballast install\` passes 0.0.0.0)`,
    )
    .option('--bind-address <ip>', 'the older name of --metrics-bind-address')
    .option(
      '--allow-file-repos',
      "accept file:// repoURLs; they read the controller's disk, so only when every Application is trusted",
      false,
    )
    .option('--cache-dir <dir>', 'Git mirror and tree cache')
    .option(
      '--ui',
      'serve the web UI on the same port; users sign in with their own bearer token, and every request is made with it',
      false,
    );
  gitTimeoutOption(cmd);
  leaderElectOptions(cmd, {
    leaseName: controllerLease,
    namespace: { kind: 'fixed', namespace: 'ballast-system' },
  });
  shardOptions(cmd, controllerLease);
  durationOption(
    cmd,
    '--sealing-key-renew-period <d>',
    'make a new SealedSecrets sealing key (in the --lease-namespace) when the newest is this old; 0: never (the first key comes from `ballast secrets seal-keygen`)',
    defaultSealingKeyOptions('').renewPeriodMs,
    { zero: true },
  );
  durationOption(
    cmd,
    '--shutdown-grace <d>',
    'on SIGTERM, how long in-flight syncs may finish',
    d.drainMs,
  );
  ledgerOptions(cmd, {
    what: 'audit ledger',
    file: 'audit.db',
    env: 'BALLAST_LEDGER',
    default: defaultLedgerUrl(),
  });
  logLevelOption(cmd)
    .option(
      '--webhook-secret-file <file>',
      'enable POST /hooks/{github,gitlab,gitea,generic} with this shared secret',
    )
    .option(
      '--decryption-secret <ns/name>',
      "controller-wide SOPS keys (*.agekey, *.asc), tried after an Application's own",
      parseObjectRef,
    )
    .option(
      '--decryption-namespaces <list>',
      'namespaces (comma-separated, or *) whose Applications may use --decryption-secret ' +
        '(default: * without --default-service-account, none with it)',
    )
    .option(
      '--default-service-account <name>',
      "the ServiceAccount, in each Application's own namespace, that an Application naming " +
        "none in spec.serviceAccountName impersonates; without it, such Applications use the controller's rights",
      parseObjectName,
    )
    .option(
      '--vault-address <url>',
      'Vault (http(s)://host[:port]) for Applications whose spec.vault names no address',
      parseVaultAddress,
    )
    .option(
      '--vault-allowed-address <url>',
      'another Vault a spec.vault.address may name (repeatable); the controller talks to no other',
      collectVaultAddress,
      [],
    )
    .option(
      '--notification-allowed-url <prefix>',
      'a URL prefix NotificationPolicies may send to (repeatable); the controller sends to no other',
      collectNotificationUrl,
      [],
    )
    .action(runController);
}

async function runController(f: ControllerFlags): Promise<void> {
  // V8 sizes its heap for throughput; a long-running controller wants it sized to what is live.
  // Measured with 10k objects watched: 138-144 MiB RSS without, 121-129 MiB with, and a cold
  // start within run-to-run noise. NODE_OPTIONS may not carry this flag, so it is set here, before the heap grows.
  setFlagsFromString('--optimize-for-size');
  const logger = createLogger({ level: f.logLevel });
  if (f.sharded && f.leaderElect)
    throw new Error(
      '--sharded and --leader-elect exclude each other: pick one way to run replicas',
    );
  // Bad flags fail before anything is connected or opened.
  const httpHost = bindAddressOf(f, defaultControllerOptions().httpHost);
  const webhookSecret = await webhookSecretOf(f.webhookSecretFile);
  // Decrypted copies and sandboxes of a crashed predecessor go before anything renders.
  startRenderSandboxSweeper();
  const cluster = connect(f);
  const source = new GitSource({
    ...defaultSourceOptions(f.cacheDir ?? join(sourceCacheDir(), 'controller')),
    allowFileRepos: f.allowFileRepos,
    gitTimeoutMs: f.gitTimeout,
  });
  const ledger = await openControllerLedger(
    { ...f, fallbackNamespace: f.leaseNamespace },
    cluster,
    logger,
  );
  const decryptionKeys =
    f.decryptionSecret === undefined
      ? undefined
      : await keysOnceReachable(cluster, f.decryptionSecret, logger);
  // Keys are read as the controller itself, from its own namespace only (see sealing-keys.ts).
  const sealing = new SealingKeyRing(
    clusterKeyStore(cluster),
    { ...defaultSealingKeyOptions(f.leaseNamespace), renewPeriodMs: f.sealingKeyRenewPeriod },
    (fields, msg) => {
      logger.warn(fields, msg);
    },
  );
  await sealing.start();
  // Policies are read and sent from by the replica that leads, as Applications are reconciled.
  const notifier = new Notifier(cluster, {
    ...defaultNotifierOptions(logger),
    allowedUrls: f.notificationAllowedUrl,
    namespace: f.namespace,
    defaultServiceAccount: f.defaultServiceAccount,
  });
  const ui = f.ui ? uiServer(cluster, source, ledger, logger) : undefined;
  const controller = new Controller(
    {
      cluster,
      source,
      sealingKeys: sealing.current,
      watches: managedWatches(cluster, (e) => {
        logger.warn({ err: e.message }, 'watch error');
      }),
      ...(ledger === undefined
        ? {}
        : { audit: ledger.audit, ledgerUnavailable: ledger.unavailable }),
      ...(decryptionKeys === undefined ? {} : { decryptionKeys }),
      ...(f.vaultAddress === undefined ? {} : { vaultAddress: f.vaultAddress }),
      vaultAllowedAddresses: f.vaultAllowedAddress,
      notify: notifier.tap,
    },
    {
      ...defaultControllerOptions(),
      workers: f.workers,
      httpPort: f.port,
      httpHost,
      namespace: f.namespace,
      webhookSecret,
      logger,
      drainMs: f.shutdownGrace,
      shards: f.sharded ? f.shards : undefined,
      ...tenancyOf(f),
      httpRoutes: ui === undefined ? undefined : (req, res) => ui.handle(req, res),
    },
  );
  const stopping = untilSignalled();
  const port = await controller.listen();
  logger.info({ port, pid: process.pid }, 'serving /healthz, /readyz and /metrics');
  const elector = f.leaderElect
    ? Campaign.start({
        http: cluster.http,
        leaseName: controllerLease,
        namespace: f.leaseNamespace,
        flags: f,
        logger,
        what: 'controller',
        lead: async () => {
          // In the background: making a 4096-bit key takes seconds, and nothing waits for it.
          void sealing.lead();
          await startNotifier(notifier, logger);
          await controller.start();
        },
      })
    : undefined;
  let shards: ShardElector | undefined;
  if (elector === undefined) {
    if (!f.sharded) void sealing.lead();
    await startNotifier(notifier, logger);
    await controller.start();
    logger.info({}, 'controller started');
  }
  const work = controller.shardWork;
  if (f.sharded && work !== undefined)
    shards = startShardCampaign({
      http: cluster.http,
      leasePrefix: controllerLease,
      namespace: f.leaseNamespace,
      flags: f,
      logger,
      work,
      // One replica makes new sealing keys: the first holder of shard 0.
      firstOfShardZero: () => void sealing.lead(),
    });
  const signal = await stopping;
  await shutDown({ signal, controller, elector, shards, logger, graceMs: f.shutdownGrace });
  sealing.stop();
  await notifier.stop();
  ui?.close();
  await ledger?.close();
  cluster.close();
  // Everything is stopped; a handle some library left open must not keep the Pod Terminating.
  setTimeout(() => process.exit(0), 2_000).unref();
}

/**
 * The UI of `--ui`: each request acts as its session's bearer token, with only the apiserver
 * URL and CA taken from the controller's own connection. Log lines name users, never tokens.
 */
function uiServer(
  cluster: Cluster,
  source: GitSource,
  ledger: ControllerLedger | undefined,
  logger: Logger,
): UiServer {
  return new UiServer({
    identities: new ClusterIdentities(cluster),
    ledger: ledger?.ledger,
    ledgerScope: 'controller',
    source,
    log: (fields, msg) => {
      logger.info(fields, msg);
    },
  });
}

/**
 * The --decryption-secret keys, read as the controller starts. An apiserver that is down,
 * restarting or overloaded is waited for, as the Lease is: exiting would only crash-loop the
 * Pod until it is back, with the kubelet's growing backoff delaying recovery after. A missing
 * Secret or a bad key still ends the process at once: that needs a person.
 */
async function keysOnceReachable(
  cluster: Cluster,
  ref: ObjectRef,
  logger: Logger,
): Promise<DecryptionKeys> {
  for (let waitMs = 1_000; ; waitMs = Math.min(2 * waitMs, 10_000)) {
    try {
      return await keysFromSecret(cluster, ref);
    } catch (e) {
      if (retryableOf(e) === undefined) throw e;
      logger.warn(
        { err: e instanceof Error ? e.message : String(e), retryInMs: waitMs },
        'cannot read --decryption-secret yet; waiting for the apiserver',
      );
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

/** Notifications never keep the controller from starting: without them it only sends nothing. */
async function startNotifier(notifier: Notifier, logger: Logger): Promise<void> {
  await notifier.start().catch((e: unknown) => {
    logger.warn(
      { err: e instanceof Error ? e.message : String(e) },
      'cannot watch NotificationPolicies; no notifications are sent',
    );
  });
}

interface Shutdown {
  signal: NodeJS.Signals;
  controller: Controller;
  elector: Campaign | undefined;
  shards: ShardElector | undefined;
  logger: Logger;
  graceMs: number;
}

/**
 * SIGTERM: stop taking work, let in-flight syncs finish within the grace (then abort them),
 * and only then hand the lease (or the shard Leases) back, so the next holder never overlaps
 * this one's writes.
 */
async function shutDown(s: Shutdown): Promise<void> {
  s.elector?.beginShutdown();
  s.logger.info({ signal: s.signal, graceMs: s.graceMs }, 'shutting down');
  const { aborted } = await s.controller.stop(s.graceMs);
  if (aborted.length > 0) s.logger.warn({ aborted }, 'in-flight syncs aborted at shutdown');
  await s.elector?.release();
  // Every shard's work has stopped with the controller: each Lease goes back at once.
  await s.shards?.release();
  s.logger.info({}, 'stopped');
}
