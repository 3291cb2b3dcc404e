import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { openControllerLedger, type ControllerLedger } from '../src/cli/controller-ledger.js';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultAgentOptions, startAgent, type RunningAgent } from '../src/fleet/agent/index.js';
import { clusterNamespace } from '../src/fleet/names.js';
import {
  defaultAgentRegistrationOptions,
  obtainHubCredential,
  startRenewal,
  type HubCredential,
  type Renewal,
} from '../src/fleet/registration/index.js';
import { createLogger, type Logger } from '../src/reconcile/log.js';
import { defaultSourceOptions, GitSource } from '../src/source/source.js';

/**
 * A process hosting many fleet agents (`node dist/bench/fleet-agents.js host`), each started as
 * `ballast agent --namespace NS --hub-url … --token-file …` starts one (src/cli/agent.ts): its
 * own spoke client (a ServiceAccount token confined to its namespace), its own key, CSR and
 * hub certificate from the registration token, its own Git cache, ledger, watches and
 * Controller. Only the process, and so Node's heap and event loop, is shared.
 */

/** One agent: the Cluster it registers as and the namespace on its spoke it is confined to. */
export interface AgentSpec {
  clusterName: string;
  namespace: string;
  spokeServer: string;
  spokeCaPem: string;
  /** A token of the namespace's ballast-agent ServiceAccount, bound only by its Role there. */
  spokeToken: string;
  /** The agent's own Git mirror and tree cache. */
  cacheDir: string;
  /** The agent's own audit ledger (`--ledger`). */
  ledger: string;
}

export interface HostConfig {
  hubUrl: string;
  hubCaPem: string;
  registrationToken: string;
  /** `--allowed-repos` and the trusted keys Secret every agent is started with. */
  allowedRepo: string;
  trustedKeysSecret: string;
  heartbeatTimeoutMs: number;
  /** How many agents start at once: each registers (a CSR the hub approves) before it runs. */
  startConcurrency: number;
  agents: AgentSpec[];
}

type ToHost = { kind: 'start'; config: HostConfig } | { kind: 'stop' };
type FromHost =
  | { kind: 'loaded' }
  | { kind: 'started'; cluster: string }
  | { kind: 'failed'; cluster: string; error: string }
  | { kind: 'all-started' }
  | { kind: 'stopped' };

/** A running host process, as the bench driver sees it. */
export interface AgentHost {
  pid: number;
  agents: number;
  /** Resolves once every agent has started (registered, watching, first resync done). */
  started: Promise<void>;
  stop(): Promise<void>;
}

/** Forks a host and starts `config.agents` in it; `onStarted` is called per started agent. */
export async function startAgentHost(
  config: HostConfig,
  log: string,
  onStarted: () => void,
): Promise<AgentHost> {
  const out = openSync(log, 'a');
  const child: ChildProcess = fork(join(import.meta.dirname, 'fleet-agents.js'), ['host'], {
    stdio: ['ignore', out, out, 'ipc'],
    // Room for a few hundred agents' heaps; Node's default limit is sized for one program.
    execArgv: ['--max-old-space-size=8192'],
  });
  const [first] = (await once(child, 'message')) as [FromHost];
  if (first.kind !== 'loaded') throw new Error(`agent host ${child.pid ?? '?'}: ${first.kind}`);
  const started = new Promise<void>((resolve, reject) => {
    child.on('message', (m: FromHost) => {
      if (m.kind === 'started') onStarted();
      if (m.kind === 'failed') reject(new Error(`agent ${m.cluster}: ${m.error} (log ${log})`));
      if (m.kind === 'all-started') resolve();
    });
    child.on('exit', (code) => {
      reject(new Error(`agent host exited (${String(code)}); log ${log}`));
    });
  });
  // Nobody may be left waiting on a host that failed only after the caller stopped listening.
  started.catch(() => undefined);
  child.send({ kind: 'start', config } satisfies ToHost);
  return {
    pid: child.pid ?? 0,
    agents: config.agents.length,
    started,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send({ kind: 'stop' } satisfies ToHost);
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Hosted {
  agent: RunningAgent;
  renewal: Renewal;
  ledger: ControllerLedger | undefined;
  spoke: Cluster;
  hub: Cluster;
}

/** The spoke as the agent's ServiceAccount: what `--kubeconfig` of a namespaced agent holds. */
function spokeClient(a: AgentSpec): Cluster {
  return Cluster.connectWith({
    server: a.spokeServer,
    context: `spoke as ${a.namespace}/ballast-agent`,
    namespace: a.namespace,
    credentials: () =>
      Promise.resolve({
        options: { ca: a.spokeCaPem },
        headers: { authorization: `Bearer ${a.spokeToken}` },
      }),
  });
}

/** As registeredHub in src/cli/agent.ts: the agent's own identity, renewed before it lapses. */
async function hubOf(
  c: HostConfig,
  a: AgentSpec,
  spoke: Cluster,
  logger: Logger,
): Promise<{ hub: Cluster; renewal: Renewal }> {
  const registration = {
    ...defaultAgentRegistrationOptions(),
    clusterName: a.clusterName,
    hubUrl: c.hubUrl,
    hubCaPem: c.hubCaPem,
    token: c.registrationToken,
    tokenSource: 'the bench registration token',
    namespace: a.namespace,
  };
  const first = await obtainHubCredential(spoke, registration);
  const renewal = startRenewal(spoke, first, registration, {
    onRenewed: () => undefined,
    onError: (e) => {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'renewal failed');
    },
    retryMs: 60_000,
  });
  const tls = (h: HubCredential): { ca?: string; cert: string; key: string } => ({
    ...(h.caPem === undefined ? {} : { ca: h.caPem }),
    cert: h.certificatePem,
    key: h.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  const hub = Cluster.connectWith(
    {
      server: first.server,
      context: `hub as ${first.identity}`,
      namespace: clusterNamespace(a.clusterName),
      credentials: () => Promise.resolve({ options: tls(renewal.current()), headers: {} }),
    },
    { requestTimeoutMs: 10_000 },
  );
  return { hub, renewal };
}

async function host(c: HostConfig, a: AgentSpec, root: Logger): Promise<Hosted> {
  const logger = root.child({ cluster: a.clusterName });
  const spoke = spokeClient(a);
  let hub: Cluster | undefined;
  let renewal: Renewal | undefined;
  let ledger: ControllerLedger | undefined;
  try {
    ({ hub, renewal } = await hubOf(c, a, spoke, logger));
    const source = new GitSource(defaultSourceOptions(a.cacheDir));
    ledger = await openControllerLedger(
      { ledger: a.ledger, fallbackNamespace: a.namespace },
      spoke,
      logger,
    );
    const agent = await startAgent(
      { spoke, hub, source, logger, ...(ledger === undefined ? {} : { audit: ledger.audit }) },
      {
        ...defaultAgentOptions(),
        clusterName: a.clusterName,
        scope: 'namespace',
        namespace: a.namespace,
        verification: { mode: 'head', secretName: c.trustedKeysSecret },
        allowedRepos: [c.allowedRepo],
        heartbeatTimeoutMs: c.heartbeatTimeoutMs,
        heartbeatIntervalMs: Math.floor(c.heartbeatTimeoutMs / 3),
        agentVersion: 'bench',
      },
    );
    return { agent, renewal, ledger, spoke, hub };
  } catch (e) {
    renewal?.stop();
    await ledger?.close();
    hub?.close();
    spoke.close();
    throw e;
  }
}

/**
 * Starts one agent, again after a failure (an apiserver busy with hundreds of agents starting
 * may drop a connection), as Kubernetes restarts an agent Pod that exited: the registration
 * resumes from what the first try stored on the spoke.
 */
async function hostWithRestarts(c: HostConfig, a: AgentSpec, root: Logger): Promise<Hosted> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await host(c, a, root);
    } catch (e) {
      if (attempt >= 5) throw e;
      root.warn(
        { cluster: a.clusterName, attempt, err: String(e) },
        'agent start failed; restarting',
      );
      await new Promise((r) => setTimeout(r, 5_000 * attempt));
    }
  }
}

async function startAll(c: HostConfig, root: Logger, hosted: Hosted[]): Promise<void> {
  const queue = [...c.agents];
  const worker = async (): Promise<void> => {
    for (let a = queue.shift(); a !== undefined; a = queue.shift()) {
      try {
        hosted.push(await hostWithRestarts(c, a, root));
        process.send?.({ kind: 'started', cluster: a.clusterName } satisfies FromHost);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        process.send?.({ kind: 'failed', cluster: a.clusterName, error } satisfies FromHost);
      }
    }
  };
  await Promise.all(Array.from({ length: c.startConcurrency }, worker));
  process.send?.({ kind: 'all-started' } satisfies FromHost);
}

async function stopAll(hosted: readonly Hosted[]): Promise<void> {
  await Promise.allSettled(
    hosted.map(async (h) => {
      h.renewal.stop();
      await h.agent.stop();
      await h.ledger?.close();
      h.spoke.close();
      h.hub.close();
    }),
  );
}

function main(): void {
  const root = createLogger({ level: 'info' });
  const hosted: Hosted[] = [];
  process.on('message', (m: ToHost) => {
    if (m.kind === 'start') void startAll(m.config, root, hosted);
    else
      void stopAll(hosted).finally(() => {
        process.send?.({ kind: 'stopped' } satisfies FromHost);
        process.exit(0);
      });
  });
  // A driver that dies without stopping its hosts must not leave 500 agents running.
  process.on('disconnect', () => process.exit(1));
  // The driver reads this process's RSS with no agent in it as the idle baseline.
  process.send?.({ kind: 'loaded' } satisfies FromHost);
}

if (process.argv[2] === 'host') main();
