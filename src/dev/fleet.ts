import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { applicationCrd } from '../api/application-crd.js';
import type { KubeObject } from '../api/object.js';
import { waitForCrds } from '../apply/execute.js';
import { Cluster } from '../cluster/cluster.js';
import { agentManifests, defaultAgentNamespace } from '../fleet/agent/index.js';
import type { Cluster as FleetCluster } from '../fleet/cluster.js';
import { hubManifests } from '../fleet/hub/index.js';
import { defaultFleetNamespace } from '../fleet/names.js';
import { createRegistrationToken } from '../fleet/registration/index.js';
import { createHmac, randomBytes } from 'node:crypto';
import { freePort } from './ports.js';
import { repoRoot } from './paths.js';
import { isRunning, logTail, startDaemon, type DaemonRecord } from './daemon.js';
import { defaultUpOptions, devUp } from './controlplane.js';
import { readState, writeState, type ClusterState, type DevState } from './state.js';

/** How `ballast dev fleet` sets a hub and its spokes up on the dev control plane. */
export interface FleetOptions {
  /** The dev control plane's state directory; one is started there when none runs. */
  stateDir: string;
  /** Spoke clusters: cluster-2 … cluster-(spokes+1); cluster-1 is the hub. */
  spokes: number;
  /**
   * A file of trusted keys (`*.asc` OpenPGP, `*.pub` SSH allowed signers) put in a Secret on
   * every spoke: agents verify commits with it (mode head). Undefined: agents run with
   * verification mode none, trusting the hub, which only suits a try-out.
   */
  trustedKeysFile: string | undefined;
  /**
   * URL prefixes of the repositories the agents fetch from and send Git credentials to
   * (`ballast agent --allowed-repos`). Empty: agents run only Assignments without a secretRef.
   */
  allowedRepos: readonly string[];
  /** The hub's and the agents' heartbeat timeout; agents renew their Lease every third of it. */
  heartbeatTimeoutMs: number;
  /** How long the registration token is valid (at least 600 s); it is revoked once all register. */
  tokenTtlSeconds: number;
  /** How long to wait for every Cluster to be Ready. */
  readyTimeoutMs: number;
  /** The `ballast` command the hub and agents run as: node and the built CLI's main.js. */
  ballast: readonly string[];
  /** Progress lines for a person. */
  log: (line: string) => void;
}

export function defaultFleetOptions(stateDir: string): FleetOptions {
  return {
    stateDir,
    spokes: 2,
    trustedKeysFile: undefined,
    allowedRepos: [],
    heartbeatTimeoutMs: 60_000,
    tokenTtlSeconds: 3600,
    readyTimeoutMs: 180_000,
    ballast: [process.execPath, join(repoRoot(), 'dist', 'src', 'cli', 'main.js')],
    log: () => undefined,
  };
}

/** One spoke of the dev fleet. */
export interface DevSpoke {
  /** The Cluster's name on the hub: spoke-1, spoke-2, … */
  name: string;
  /** The dev cluster it runs on: cluster-2, cluster-3, … */
  devCluster: string;
  kubeconfig: string;
  labels: Record<string, string>;
}

/** What `ballast dev fleet` set up. */
export interface DevFleet {
  state: DevState;
  hub: {
    kubeconfig: string;
    server: string;
    /** The hub's push webhook: POST a signed `{"repoURL": …}` and it re-resolves at once. */
    webhook: { url: string; secretFile: string };
  };
  spokes: DevSpoke[];
  /** The hub's Clusters once all are Ready, for printing. */
  clusters: FleetCluster[];
}

/** The dev control plane cannot hold the fleet asked for, or a part of it did not come up. */
export class DevFleetError extends Error {
  override readonly name = 'DevFleetError';
}

export const hubRole = 'ballast-hub';
export const agentRole = 'ballast-agent';
/** The Secret of trusted keys the dev agents verify commits with, in their namespace. */
export const trustedKeysSecret = 'ballast-trusted-keys';

/** spoke-1 is in eu, spoke-2 in us, and so on: enough to show placement by label. */
export function spokeLabels(index: number): Record<string, string> {
  return { region: index % 2 === 1 ? 'eu' : 'us' };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hubKubeconfig = (s: DevState): string => (s.clusters[0] as ClusterState).kubeconfig;
const hubServer = (s: DevState): string =>
  `https://127.0.0.1:${(s.clusters[0] as ClusterState).port}`;

/** The running control plane, or a new one with spokes+1 clusters. */
async function controlPlane(opts: FleetOptions): Promise<DevState> {
  const found = await readState(opts.stateDir);
  const need = opts.spokes + 1;
  if (found.kind === 'found' && found.state.clusters.length < need)
    throw new DevFleetError(
      `the dev control plane in ${opts.stateDir} runs ${found.state.clusters.length} cluster(s); ` +
        `${opts.spokes} spoke(s) and the hub need ${need}: run \`ballast dev down --state ${opts.stateDir}\`, ` +
        `then \`ballast dev fleet --spokes ${opts.spokes}\` again (it starts ${need})`,
    );
  const clusters = found.kind === 'found' ? found.state.clusters.length : need;
  const up = await devUp({ ...defaultUpOptions(opts.stateDir), clusters, log: opts.log });
  return up.state;
}

async function applyAll(cluster: Cluster, objects: readonly KubeObject[]): Promise<void> {
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  const applied = await Promise.all(crds.map((c) => cluster.apply(c)));
  await waitForCrds(cluster, applied, 60_000);
  for (const o of objects) if (o.kind !== 'CustomResourceDefinition') await cluster.apply(o);
}

/** Records a daemon among a cluster's, re-reading state.json so concurrent edits are kept. */
async function recordDaemon(stateDir: string, cluster: string, d: DaemonRecord): Promise<void> {
  const found = await readState(stateDir);
  if (found.kind !== 'found') throw new DevFleetError(`${stateDir}: the control plane is gone`);
  const c = found.state.clusters.find((x) => x.name === cluster);
  if (c === undefined) throw new DevFleetError(`${stateDir}: no ${cluster}`);
  c.daemons = [...c.daemons.filter((x) => x.role !== d.role || isRunning(x)), d];
  await writeState(stateDir, found.state);
}

const running = (c: ClusterState, role: string): DaemonRecord | undefined =>
  c.daemons.find((d) => d.role === role && isRunning(d));

const fleetDir = (stateDir: string): string => join(stateDir, 'fleet');
const webhookSecretFile = (stateDir: string): string => join(fleetDir(stateDir), 'webhook-secret');
const hubPortFile = (stateDir: string): string => join(fleetDir(stateDir), 'hub-port');

/**
 * Starts `ballast hub` on cluster-1 unless it runs already, with its push webhook on a free
 * port and a new secret; returns the port (kept in the state dir for later runs).
 */
async function startHubProcess(opts: FleetOptions, state: DevState): Promise<number> {
  const c = state.clusters[0] as ClusterState;
  if (running(c, hubRole) !== undefined)
    return Number(await readFile(hubPortFile(opts.stateDir), 'utf8'));
  await mkdir(fleetDir(opts.stateDir), { recursive: true });
  await writeFile(webhookSecretFile(opts.stateDir), randomBytes(24).toString('hex'), {
    mode: 0o600,
  });
  const port = await freePort();
  const [binary, ...pre] = opts.ballast as [string, ...string[]];
  const d = startDaemon(
    hubRole,
    binary,
    [
      ...pre,
      'hub',
      ...['--kubeconfig', c.kubeconfig, '--port', String(port)],
      ...['--webhook-secret-file', webhookSecretFile(opts.stateDir)],
      ...['--heartbeat-timeout', `${opts.heartbeatTimeoutMs}ms`],
      ...['--cache-dir', join(fleetDir(opts.stateDir), 'hub-cache')],
      ...['--ledger', `sqlite:${hubLedgerPath(opts.stateDir)}`],
    ],
    join(opts.stateDir, c.name, `${hubRole}.log`),
  );
  await writeFile(hubPortFile(opts.stateDir), String(port));
  await recordDaemon(opts.stateDir, c.name, d);
  opts.log(`Started ballast hub on ${c.name} (pid ${d.pid}, log ${d.log}).`);
  return port;
}

/** The dev hub's audit ledger: `ballast audit list --ledger sqlite:<this>` reads it. */
export function hubLedgerPath(stateDir: string): string {
  return join(fleetDir(stateDir), 'hub-audit.db');
}

/** The `ballast agent` arguments of one spoke (without the command itself). */
export function agentArgs(
  opts: Pick<FleetOptions, 'stateDir' | 'heartbeatTimeoutMs' | 'trustedKeysFile' | 'allowedRepos'>,
  state: DevState,
  spoke: DevSpoke,
  tokenFile: string | undefined,
): string[] {
  const verify =
    opts.trustedKeysFile === undefined
      ? ['--verification-mode', 'none']
      : ['--verification-mode', 'head', '--trusted-keys-secret', trustedKeysSecret];
  return [
    'agent',
    ...['--kubeconfig', spoke.kubeconfig, '--cluster-name', spoke.name],
    ...['--hub-url', hubServer(state)],
    ...['--hub-ca-file', join(opts.stateDir, 'cluster-1', 'pki', 'ca.crt')],
    ...(tokenFile === undefined ? [] : ['--token-file', tokenFile]),
    ...verify,
    ...(opts.allowedRepos.length === 0 ? [] : ['--allowed-repos', opts.allowedRepos.join(',')]),
    ...['--heartbeat-timeout', `${opts.heartbeatTimeoutMs}ms`],
    ...['--cache-dir', join(fleetDir(opts.stateDir), `${spoke.name}-cache`)],
  ];
}

/** Starts the agent of one spoke as a local process, recorded among its cluster's daemons. */
export async function startAgentProcess(
  opts: FleetOptions,
  state: DevState,
  spoke: DevSpoke,
  tokenFile: string | undefined,
): Promise<DaemonRecord> {
  const [binary, ...pre] = opts.ballast as [string, ...string[]];
  const d = startDaemon(
    agentRole,
    binary,
    [...pre, ...agentArgs(opts, state, spoke, tokenFile)],
    join(opts.stateDir, spoke.devCluster, `${agentRole}.log`),
  );
  await recordDaemon(opts.stateDir, spoke.devCluster, d);
  return d;
}

/** What the agent needs on its spoke: the Application CRD, its RBAC, the trusted keys. */
export async function prepareSpoke(opts: FleetOptions, spoke: DevSpoke): Promise<void> {
  const c = Cluster.connect({ kubeconfig: spoke.kubeconfig });
  try {
    await applyAll(c, [applicationCrd(), ...agentManifests()]);
    if (opts.trustedKeysFile !== undefined) {
      const file = basename(opts.trustedKeysFile);
      if (!/\.(asc|pub)$/.test(file))
        throw new DevFleetError(
          `--trusted-keys ${opts.trustedKeysFile}: name it *.asc (OpenPGP public keys) or *.pub (SSH allowed signers)`,
        );
      const keys = await readFile(opts.trustedKeysFile);
      await c.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: trustedKeysSecret, namespace: defaultAgentNamespace },
        data: { [file]: keys.toString('base64') },
      });
    }
  } finally {
    c.close();
  }
}

export function devSpokes(state: DevState, spokes: number): DevSpoke[] {
  return state.clusters.slice(1, spokes + 1).map((c, i) => ({
    name: `spoke-${i + 1}`,
    devCluster: c.name,
    kubeconfig: c.kubeconfig,
    labels: spokeLabels(i + 1),
  }));
}

const clusterPath = (name: string): string =>
  `/apis/ballast.dev/v1alpha1/namespaces/${defaultFleetNamespace}/clusters/${name}`;

async function readCluster(hub: Cluster, name: string): Promise<FleetCluster | undefined> {
  const r = await hub.http.request('GET', clusterPath(name));
  return r.status === 200 ? (JSON.parse(r.body) as FleetCluster) : undefined;
}

/** Ready is a Cluster's only condition type. */
const isReady = (c: FleetCluster | undefined): boolean =>
  c?.status?.conditions?.some((x) => x.status === 'True') ?? false;

/**
 * Waits until each new spoke's Cluster exists (the registrar made it), labels it, and until
 * every one is Ready. A spoke's agent that exits fails the wait with its log.
 */
async function awaitSpokes(
  opts: FleetOptions,
  hub: Cluster,
  spokes: readonly DevSpoke[],
  agents: ReadonlyMap<string, DaemonRecord>,
): Promise<FleetCluster[]> {
  const deadline = Date.now() + opts.readyTimeoutMs;
  // Only new spokes are labelled: labels a person changed since are theirs.
  const labelled = new Set(spokes.filter((s) => !agents.has(s.name)).map((s) => s.name));
  for (;;) {
    const seen = await Promise.all(spokes.map((s) => readCluster(hub, s.name)));
    for (const [i, s] of spokes.entries()) {
      if (seen[i] === undefined || labelled.has(s.name)) continue;
      const patch = JSON.stringify({ metadata: { labels: s.labels } });
      const r = await hub.http.request('PATCH', clusterPath(s.name), patch, {
        'content-type': 'application/merge-patch+json',
      });
      if (r.status !== 200)
        throw new DevFleetError(`labelling Cluster ${s.name}: ${r.status} ${r.body}`);
      labelled.add(s.name);
    }
    if (labelled.size === spokes.length && seen.every(isReady)) return seen as FleetCluster[];
    for (const [name, d] of agents)
      if (!isRunning(d))
        throw new DevFleetError(
          `the agent of ${name} exited; last log lines (${d.log}):\n${await logTail(d)}`,
        );
    if (Date.now() > deadline) {
      const waiting = spokes.filter((_, i) => !isReady(seen[i])).map((s) => s.name);
      throw new DevFleetError(
        `not Ready after ${opts.readyTimeoutMs / 1000} s: ${waiting.join(', ')}; see the agents' logs ballast-agent.log in ${opts.stateDir}/cluster-N and ${opts.stateDir}/cluster-1/ballast-hub.log`,
      );
    }
    await sleep(250);
  }
}

/**
 * `ballast dev fleet`: cluster-1 becomes the hub (CRDs, RBAC, `ballast hub` with its registrar,
 * as a local process) and each of cluster-2 … cluster-(spokes+1) a spoke whose `ballast agent`
 * (a local process) registers with a registration token. Idempotent: what runs is left alone.
 * The token is revoked once every spoke is registered; agents restart with their stored identity.
 */
export async function devFleet(opts: FleetOptions): Promise<DevFleet> {
  const state = await controlPlane(opts);
  const hub = Cluster.connect({ kubeconfig: hubKubeconfig(state) });
  try {
    // What `ballast install --hub` applies: CRDs, RBAC, the registration account.
    await applyAll(hub, hubManifests());
    const port = await startHubProcess(opts, state);
    const spokes = devSpokes(state, opts.spokes);
    const toStart = spokes.filter((s) => {
      const c = state.clusters.find((x) => x.name === s.devCluster) as ClusterState;
      return running(c, agentRole) === undefined;
    });
    const agents = new Map<string, DaemonRecord>();
    let revoke: (() => Promise<void>) | undefined;
    if (toStart.length > 0) {
      const token = await createRegistrationToken(hub, { ttlSeconds: opts.tokenTtlSeconds });
      const tokenFile = join(fleetDir(opts.stateDir), 'registration-token');
      await writeFile(tokenFile, token.token + '\n', { mode: 0o600 });
      revoke = async () => {
        await rm(tokenFile, { force: true });
        await hub.http.request(
          'DELETE',
          `/api/v1/namespaces/${defaultFleetNamespace}/secrets/${token.secret}`,
        );
      };
      for (const s of toStart) {
        await prepareSpoke(opts, s);
        agents.set(s.name, await startAgentProcess(opts, state, s, tokenFile));
        opts.log(
          `Started ballast agent for ${s.name} on ${s.devCluster} (${Object.entries(s.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}).`,
        );
      }
    }
    try {
      const clusters = await awaitSpokes(opts, hub, spokes, agents);
      const now = await readState(opts.stateDir);
      return {
        state: now.kind === 'found' ? now.state : state,
        hub: {
          kubeconfig: hubKubeconfig(state),
          server: hubServer(state),
          webhook: {
            url: `http://127.0.0.1:${port}/hooks/generic`,
            secretFile: webhookSecretFile(opts.stateDir),
          },
        },
        spokes,
        clusters,
      };
    } finally {
      await revoke?.();
    }
  } finally {
    hub.close();
  }
}

/** Tells the dev hub that `repoURL` got a push, signed as a forge's webhook would be. */
export async function notifyHub(
  webhook: DevFleet['hub']['webhook'],
  repoURL: string,
): Promise<void> {
  const secret = (await readFile(webhook.secretFile, 'utf8')).trim();
  const body = JSON.stringify({ repoURL });
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const r = await fetch(webhook.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ballast-signature': signature },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  if (r.status >= 300) throw new DevFleetError(`${webhook.url}: ${r.status} ${await r.text()}`);
}
