import { logLevelOption, untilSignalled } from './long-running.js';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { Cluster } from '../cluster/cluster.js';
import {
  AgentOptionsError,
  agentOptionProblems,
  defaultAgentOptions,
  startAgent,
  type AgentOptions,
} from '../fleet/agent/index.js';
import { clusterNameRegex, clusterNamespace, defaultFleetNamespace } from '../fleet/names.js';
import {
  defaultAgentRegistrationOptions,
  obtainHubCredential,
  startRenewal,
  type HubCredential,
  type Renewal,
} from '../fleet/registration/index.js';
import { packageRoot } from '../fs/package-root.js';
import { createLogger, type Logger, type LogLevel } from '../reconcile/log.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import {
  connect,
  durationOption,
  kubeOptions,
  namespaceOption,
  type KubeFlags,
} from './options.js';
import {
  collectPrefixes,
  parseInteger,
  parseNamespace,
  parseObjectName,
  UsageError,
} from './parse.js';
import { openControllerLedger } from './controller-ledger.js';
import { gitTimeoutOption, sourceCacheDir } from './source-args.js';

interface AgentFlags extends KubeFlags {
  /** `--git-timeout`: how long one git call may take before it is killed. */
  gitTimeout: number;
  clusterName?: string;
  hubKubeconfig?: string;
  hubContext?: string;
  /** `--hub-url`: register with a token (or reuse the identity stored on the spoke). */
  hubUrl?: string;
  tokenFile?: string;
  hubCaFile?: string;
  /** `--namespace`: namespace mode, confined to this namespace. */
  namespace?: string;
  fleetNamespace: string;
  verificationMode: AgentOptions['verification']['mode'];
  trustedKeysSecret?: string;
  /** `--allowed-repos`, repeatable, each a comma-separated list of URL prefixes. */
  allowedRepos?: string[];
  heartbeatTimeout: number;
  heartbeatInterval?: number;
  /** `--sealing-key-renew-period`: unset, the agent never makes a sealing key. */
  sealingKeyRenewPeriod?: number;
  httpPort?: number;
  cacheDir?: string;
  logLevel: LogLevel;
  /** `--ledger`: a URL, `none`, or unset for this cluster's own SQLite file. */
  ledger?: string;
  ledgerSigningKey?: string;
}

function parseClusterName(text: string): string {
  if (!new RegExp(clusterNameRegex).test(text) || text.length > 47)
    throw new InvalidArgumentError(
      'expected a Cluster name: a DNS label of at most 47 characters (lower-case letters, digits and -)',
    );
  return text;
}

/**
 * The ledger unless --ledger says otherwise: $BALLAST_LEDGER, else a SQLite file per cluster,
 * so several agents run as local processes (`ballast dev fleet`) never share one file.
 */
export function agentLedgerUrl(clusterName: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['BALLAST_LEDGER'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const base = env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state');
  return `sqlite:${join(base, 'ballast', `agent-${clusterName}.db`)}`;
}

function agentVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The agent's options from its flags; a missing hub or cluster name is a usage error. */
export function agentOptionsOf(f: AgentFlags): AgentOptions {
  if (f.clusterName === undefined)
    throw new UsageError(
      '--cluster-name NAME is required: the Cluster this agent runs, as the hub names it',
    );
  const d = defaultAgentOptions();
  const timeout = f.heartbeatTimeout;
  return {
    ...d,
    clusterName: f.clusterName,
    ...(f.namespace === undefined ? {} : { scope: 'namespace' as const, namespace: f.namespace }),
    fleetNamespace: f.fleetNamespace,
    verification: { mode: f.verificationMode, secretName: f.trustedKeysSecret },
    allowedRepos: f.allowedRepos ?? [],
    heartbeatTimeoutMs: timeout,
    heartbeatIntervalMs: f.heartbeatInterval ?? Math.floor(timeout / 3),
    agentVersion: agentVersion(),
    sealingKeyRenewPeriodMs: f.sealingKeyRenewPeriod ?? d.sealingKeyRenewPeriodMs,
    controller: f.httpPort === undefined ? {} : { httpPort: f.httpPort },
  };
}

export function registerAgent(program: Command): void {
  const d = defaultAgentOptions();
  const cmd = program
    .command('agent')
    .description(
      "run on a spoke: pull this cluster's Assignments from the hub and keep them applied, verified with the spoke's own keys",
    )
    .option(
      '--cluster-name <name>',
      'the Cluster this agent runs, as the hub names it',
      parseClusterName,
    )
    .option('--hub-kubeconfig <file>', "kubeconfig of the hub, with this Cluster's own identity")
    .option('--hub-context <name>', 'context in --hub-kubeconfig (default: its current one)')
    .option(
      '--hub-url <url>',
      "the hub apiserver's URL: register with --token-file, or use the identity already stored on the spoke",
    )
    .option(
      '--token-file <file>',
      'file holding a registration token from `ballast fleet token create`; needed only until this cluster is registered',
    )
    .option(
      '--hub-ca-file <file>',
      "PEM CA bundle of the hub's serving certificate (default: the system's CAs)",
    );
  kubeOptions(cmd, 'of the spoke');
  namespaceOption(
    cmd,
    'namespace mode: apply only inside this namespace, with a namespaced Role; unset, cluster mode applies anywhere and keeps its Applications in ' +
      d.namespace,
    { kind: 'all' },
  );
  cmd
    .option(
      '--fleet-namespace <ns>',
      'hub namespace of the Cluster objects',
      parseNamespace,
      defaultFleetNamespace,
    )
    .addOption(
      new Option(
        '--verification-mode <mode>',
        'which commits the spoke accepts: head (the pinned commit signed), all (every commit since the last applied), none (trust the hub; for try-outs)',
      )
        .choices(['head', 'all', 'none'])
        .default(d.verification.mode),
    )
    .option(
      '--trusted-keys-secret <name>',
      "Secret in the agent's namespace with the trusted keys (*.asc, *.pub); required unless --verification-mode none",
      parseObjectName,
    )
    .option(
      '--allowed-repos <prefix,...>',
      'URL prefixes of the repositories this spoke fetches from and sends its Git credentials to (repeatable); an Assignment outside them is refused. Unset: only Assignments without a secretRef run',
      collectPrefixes,
    );
  durationOption(
    cmd,
    '--heartbeat-timeout <d>',
    "the hub's heartbeat timeout: the Lease's duration",
    d.heartbeatTimeoutMs,
  );
  durationOption(
    cmd,
    '--heartbeat-interval <d>',
    'how often the Lease is renewed (default: a third of --heartbeat-timeout)',
  );
  durationOption(
    cmd,
    '--sealing-key-renew-period <d>',
    "make a new SealedSecrets sealing key in the agent's namespace when the newest is this old (default: never; the spoke's operator makes and renews keys with `ballast secrets seal-keygen`)",
  );
  cmd
    .option(
      '--http-port <port>',
      'serve /healthz, /readyz and /metrics on this port',
      parseInteger({ min: 0, max: 65_535 }),
    )
    .option('--cache-dir <dir>', 'Git mirror and tree cache');
  gitTimeoutOption(cmd)
    .option(
      '--ledger <url>',
      'audit ledger of what the agent applied and refused: sqlite:/path, postgres://… or none (default: $BALLAST_LEDGER, else a SQLite file of its own per cluster)',
    )
    .option('--ledger-signing-key <file>', 'ed25519 key (PKCS#8 PEM) signing ledger checkpoints');
  logLevelOption(cmd).action(runAgent);
}

/** The hub client, from --hub-kubeconfig or from the identity registration gives. */
interface HubLink {
  hub: Cluster;
  renewal: Renewal | undefined;
}

/**
 * The registration token, if the file holds one. A file that is gone is no error by itself: a
 * spoke that registered keeps its identity, and the token's Secret is deleted once every
 * cluster is in, so an agent restarted after that must still start. Without a stored identity
 * the registration then fails, naming the missing file.
 */
export async function readToken(
  file: string | undefined,
): Promise<{ token: string | undefined; tokenSource: string }> {
  if (file === undefined) return { token: undefined, tokenSource: 'no --token-file' };
  try {
    return { token: (await readFile(file, 'utf8')).trim(), tokenSource: `--token-file ${file}` };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { token: undefined, tokenSource: `--token-file ${file}, which does not exist` };
  }
}

/**
 * The agent's own hub identity (registered with the token when none is stored on the spoke),
 * with a client whose certificate follows each renewal: the client reads credentials again
 * every 30 s, well before the old certificate (renewed at two thirds of its life) expires.
 */
async function registeredHub(
  f: AgentFlags & { hubUrl: string },
  spoke: Cluster,
  opts: AgentOptions,
  logger: Logger,
): Promise<HubLink> {
  const { token, tokenSource } = await readToken(f.tokenFile);
  const hubCaPem = f.hubCaFile === undefined ? undefined : await readFile(f.hubCaFile, 'utf8');
  const registration = {
    ...defaultAgentRegistrationOptions(),
    clusterName: opts.clusterName,
    hubUrl: f.hubUrl,
    hubCaPem,
    ...(token === undefined ? {} : { token }),
    tokenSource,
    namespace: opts.namespace,
  };
  const first = await obtainHubCredential(spoke, registration);
  logger.info({ identity: first.identity, notAfter: first.notAfter }, 'holding a hub identity');
  const renewal = startRenewal(spoke, first, registration, {
    onRenewed: (c) => {
      logger.info({ identity: c.identity, notAfter: c.notAfter }, 'renewed the hub certificate');
    },
    onError: (e) => {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'renewal failed');
    },
    retryMs: 60_000,
  });
  const tls = (c: HubCredential): { ca?: string; cert: string; key: string } => ({
    ...(c.caPem === undefined ? {} : { ca: c.caPem }),
    cert: c.certificatePem,
    key: c.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  const hub = Cluster.connectWith(
    {
      server: first.server,
      context: `hub as ${first.identity}`,
      namespace: clusterNamespace(opts.clusterName),
      credentials: () => Promise.resolve({ options: tls(renewal.current()), headers: {} }),
    },
    { requestTimeoutMs: 10_000 },
  );
  return { hub, renewal };
}

async function hubLink(
  f: AgentFlags,
  spoke: Cluster,
  opts: AgentOptions,
  logger: Logger,
): Promise<HubLink> {
  if (f.hubUrl !== undefined) return registeredHub({ ...f, hubUrl: f.hubUrl }, spoke, opts, logger);
  // Short requests: a hub that does not answer is noticed, and backed off from, in seconds.
  const hub = Cluster.connect({
    kubeconfig: f.hubKubeconfig ?? '',
    ...(f.hubContext === undefined ? {} : { context: f.hubContext }),
    requestTimeoutMs: 10_000,
  });
  return { hub, renewal: undefined };
}

async function runAgent(f: AgentFlags): Promise<void> {
  const opts = agentOptionsOf(f);
  // Bad flags fail before anything is connected.
  const problems = agentOptionProblems(opts);
  if (problems.length > 0) throw new UsageError(new AgentOptionsError(problems).message);
  if ((f.hubKubeconfig === undefined) === (f.hubUrl === undefined))
    throw new UsageError(
      'how this agent reaches the hub: give --hub-url URL (with --token-file to register) or --hub-kubeconfig FILE, not both',
    );
  const logger = createLogger({ level: f.logLevel });
  const spoke = connect(f);
  const { hub, renewal } = await hubLink(f, spoke, opts, logger);
  const source = new GitSource({
    ...defaultSourceOptions(f.cacheDir ?? join(sourceCacheDir(), 'agent')),
    gitTimeoutMs: f.gitTimeout,
  });
  const ledger = await openControllerLedger(
    {
      ledger: f.ledger ?? agentLedgerUrl(opts.clusterName),
      ...(f.ledgerSigningKey === undefined ? {} : { ledgerSigningKey: f.ledgerSigningKey }),
      fallbackNamespace: opts.namespace,
    },
    spoke,
    logger,
  );
  const stopping = untilSignalled();
  const agent = await startAgent(
    { spoke, hub, source, logger, ...(ledger === undefined ? {} : { audit: ledger.audit }) },
    opts,
  );
  if (agent.port !== undefined)
    logger.info({ port: agent.port }, 'serving /healthz, /readyz and /metrics');
  // A deregistered identity cannot renew; trying would only log refusals.
  void agent.done.then(() => renewal?.stop());
  // Deregistered, the agent stays up doing nothing until stopped, rather than exiting into a
  // restart loop that would log the same refusal again and again. With its watches and timers
  // gone nothing else would keep Node running: a pending signal is not an event source.
  const idle = setInterval(() => undefined, 60_000);
  await stopping;
  clearInterval(idle);
  renewal?.stop();
  await agent.stop();
  await ledger?.close();
  spoke.close();
  hub.close();
  setTimeout(() => process.exit(0), 2_000).unref();
}
