import { logLevelOption, untilSignalled } from './long-running.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fleetRequestedByPolicy } from '../fleet/hub/requester-policy.js';
import { ledgerOptions, openControllerLedger } from './controller-ledger.js';
import type { Command } from 'commander';
import { defaultHubOptions, Hub, hubName } from '../fleet/hub/index.js';
import { startRegistrar, type Registrar } from '../fleet/registration/index.js';
import { collectNotificationUrl, parseNamespace, parseInteger, type ObjectRef } from './parse.js';
import { defaultNotifierOptions, Notifier } from '../notify/notifier.js';
import { createLogger, type LogLevel } from '../reconcile/log.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import { bindAddressOf, webhookSecretOf } from './http-flags.js';
import {
  connect,
  durationOption,
  kubeOptions,
  namespaceOption,
  type KubeFlags,
} from './options.js';
import { gitTimeoutOption, sourceCacheDir } from './source-args.js';
import { ephemeralHubLedger, hubPort } from './install-hub.js';
import { Campaign, leaderElectOptions, type LeaderElectFlags } from './leader-elect.js';

interface HubFlags extends KubeFlags, LeaderElectFlags {
  /** `--git-timeout`: how long one git call may take before it is killed. */
  gitTimeout: number;
  /** `-n`: only this namespace's FleetApplications; all when unset. */
  namespace?: string;
  fleetNamespace: string;
  heartbeatTimeout: number;
  workers: number;
  port: number;
  metricsBindAddress?: string;
  webhookSecretFile?: string;
  cacheDir?: string;
  logLevel: LogLevel;
  shutdownGrace: number;
  ledger: string;
  ledgerSigningKey?: string;
  ledgerCheckpointConfigmap?: ObjectRef | 'none';
  notificationAllowedUrl: string[];
  notificationServiceAccount?: string;
}

/** The hub's own ledger, apart from any controller's on the same machine. */
export function defaultHubLedgerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['BALLAST_HUB_LEDGER'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const base = env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state');
  return `sqlite:${join(base, 'ballast', 'hub-audit.db')}`;
}

export function registerHub(program: Command): void {
  const d = defaultHubOptions();
  const cmd = program
    .command('hub')
    .description(
      "run the fleet's hub controller: pin each FleetApplication's commit, write one Assignment per selected Cluster, and turn agents' Leases into each Cluster's Ready",
    );
  kubeOptions(cmd, 'the hub cluster');
  namespaceOption(cmd, 'only FleetApplications in this namespace', { kind: 'all' });
  cmd.option(
    '--fleet-namespace <ns>',
    'namespace of the Clusters',
    parseNamespace,
    d.fleetNamespace,
  );
  durationOption(
    cmd,
    '--heartbeat-timeout <d>',
    "how long an agent's Lease may go unrenewed before its Cluster is Ready=False (HeartbeatMissed), for Clusters that leave spec.heartbeatTimeout at its default",
    d.heartbeatTimeoutMs,
  );
  cmd
    .option(
      '--workers <n>',
      'FleetApplications reconciled at once',
      parseInteger({ min: 1, max: 256 }),
      d.workers,
    )
    .option(
      '--port <port>',
      'port of /healthz, /readyz, /metrics and /hooks',
      parseInteger({ min: 0, max: 65_535 }),
      hubPort,
    )
    .option(
      '--metrics-bind-address <ip>',
      `address of /healthz, /readyz, /metrics and /hooks (default: ${d.httpHost})`,
    )
    .option(
      '--webhook-secret-file <file>',
      "enable POST /hooks/{github,gitlab,gitea,generic}: a push resolves its FleetApplications' revision at once",
    )
    .option('--cache-dir <dir>', 'Git mirror cache');
  gitTimeoutOption(cmd);
  leaderElectOptions(cmd, {
    leaseName: hubName,
    namespace: { kind: 'described', text: 'the --fleet-namespace' },
  });
  durationOption(
    cmd,
    '--shutdown-grace <d>',
    'on SIGTERM, how long in-flight reconciles may finish',
    d.drainMs,
  );
  ledgerOptions(cmd, {
    what: 'audit ledger of rollout steps and who asked for them',
    file: 'hub-audit.db',
    env: 'BALLAST_HUB_LEDGER',
    default: defaultHubLedgerUrl(),
  });
  logLevelOption(cmd)
    .option(
      '--notification-allowed-url <prefix>',
      'send RolloutHalted to NotificationPolicies whose target is under this prefix (repeatable); ' +
        'none: the hub sends nothing',
      collectNotificationUrl,
      [],
    )
    .option(
      '--notification-service-account <name>',
      "read a policy's Secrets as this ServiceAccount of the policy's namespace, unless the policy names its own; unset: with the hub's own identity (`ballast install --hub` sets ballast-notify)",
    )
    .action(runHub);
}

async function runHub(f: HubFlags): Promise<void> {
  const logger = createLogger({ level: f.logLevel });
  // Bad flags fail before anything is connected.
  const httpHost = bindAddressOf(f, defaultHubOptions().httpHost);
  const webhookSecret = await webhookSecretOf(f.webhookSecretFile);
  const cluster = connect(f);
  const source = new GitSource({
    ...defaultSourceOptions(f.cacheDir ?? join(sourceCacheDir(), 'hub')),
    gitTimeoutMs: f.gitTimeout,
  });
  const ledger = await openControllerLedger(
    { ...f, fallbackNamespace: f.fleetNamespace, requesterPolicy: fleetRequestedByPolicy },
    cluster,
    logger,
  );
  if (f.ledger === ephemeralHubLedger)
    logger.warn(
      { ledger: f.ledger },
      "the hub ledger is on the Pod's ephemeral storage and goes with it: install with --ledger-postgres-secret",
    );
  // Opt-in; `ballast install --hub` grants no Secret reads, only one ServiceAccount to act as.
  const notifier =
    f.notificationAllowedUrl.length === 0
      ? undefined
      : new Notifier(cluster, {
          ...defaultNotifierOptions(logger),
          allowedUrls: f.notificationAllowedUrl,
          namespace: f.namespace,
          defaultServiceAccount: f.notificationServiceAccount,
        });
  const hub = new Hub(
    {
      hub: cluster,
      source,
      ...(ledger === undefined ? {} : { audit: ledger.audit }),
      ...(notifier === undefined ? {} : { notify: notifier.tap }),
    },
    {
      ...defaultHubOptions(),
      namespace: f.namespace,
      fleetNamespace: f.fleetNamespace,
      heartbeatTimeoutMs: f.heartbeatTimeout,
      workers: f.workers,
      httpPort: f.port,
      httpHost,
      webhookSecret,
      logger,
      drainMs: f.shutdownGrace,
    },
  );
  const stopping = untilSignalled();
  const port = await hub.listen();
  logger.info({ port, pid: process.pid }, 'serving /healthz, /readyz and /metrics');
  let registrar: Registrar | undefined;
  // The registrar approves CSRs as the hub writes: only while leading, never two at once.
  const start = async (): Promise<void> => {
    await notifier?.start().catch((e: unknown) => {
      logger.warn(
        { err: String(e) },
        'cannot watch NotificationPolicies; no notifications are sent',
      );
    });
    await hub.start().catch(async (e: unknown) => {
      await hub.stop();
      throw e;
    });
    // Agents register through CSRs this approves; the hub holds no credential of any spoke.
    registrar = startRegistrar(cluster, {
      fleetNamespace: f.fleetNamespace,
      log: (line) => {
        logger.info({}, line);
      },
    });
    await registrar.ready;
  };
  const campaign = f.leaderElect
    ? Campaign.start({
        http: cluster.http,
        leaseName: hubName,
        namespace: f.leaseNamespace ?? f.fleetNamespace,
        flags: f,
        logger,
        what: 'hub',
        lead: start,
      })
    : undefined;
  if (campaign === undefined) {
    await start();
    logger.info({ port, pid: process.pid, fleetNamespace: f.fleetNamespace }, 'hub started');
  }
  const signal = await stopping;
  campaign?.beginShutdown();
  logger.info({ signal }, 'shutting down');
  // The work stops before the Lease is handed back: the next leader may start at once.
  await registrar?.stop();
  await hub.stop();
  await notifier?.stop();
  await campaign?.release();
  await ledger?.close();
  cluster.close();
  logger.info({}, 'stopped');
  setTimeout(() => process.exit(0), 2_000).unref();
}
