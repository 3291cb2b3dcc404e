import { rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTree } from '../fs/remove.js';
import { startCluster, waitFor, ControlPlaneError } from './cluster.js';
import { isRunning, rssKiB, startDaemon, stopDaemon, type DaemonRecord } from './daemon.js';
import { writeKubeconfigMerged } from './merge.js';
import { allocatePorts } from './ports.js';
import { toolPath } from './paths.js';
import {
  allDaemons,
  liveness,
  readState,
  stateFile,
  writeState,
  type ClusterState,
  type DevState,
} from './state.js';
import { ensureTools } from './tools.js';
import { controlPlaneTools } from './versions.js';

export interface UpOptions {
  /** Where logs, certificates, kubeconfigs and state.json live. */
  stateDir: string;
  /** How many clusters share the one etcd. */
  clusters: number;
  /** Fake kwok nodes per cluster. */
  nodesPerCluster: number;
  /** First port to use (etcd client, etcd peer, then one apiserver per cluster); free ports when unset. */
  portBase?: number;
  /** Progress lines for a person. */
  log: (line: string) => void;
  /**
   * kube-controller-manager's client rate (`--kube-api-qps`, burst twice that); its default of
   * 20 per second takes minutes to create the ReplicaSets of thousands of Deployments.
   */
  controllerManagerQps?: number;
}

export function defaultUpOptions(stateDir: string): UpOptions {
  return { stateDir, clusters: 1, nodesPerCluster: 1, log: () => undefined };
}

export type UpResult =
  { kind: 'started'; state: DevState; tookMs: number } | { kind: 'already-up'; state: DevState };

/** The state dir holds a control plane that is only partly running, or can't be read. */
export class StaleStateError extends Error {
  override readonly name = 'StaleStateError';
  constructor(
    readonly stateDir: string,
    detail: string,
  ) {
    super(
      `${stateFile(stateDir)}: ${detail}; run \`ballast dev down --state ${stateDir}\` to stop what is left, then \`ballast dev up\` again`,
    );
  }
}

async function checkExisting(opts: UpOptions): Promise<DevState | undefined> {
  const found = await readState(opts.stateDir);
  if (found.kind === 'none') return undefined;
  if (found.kind === 'unreadable')
    throw new StaleStateError(opts.stateDir, `unreadable (${found.reason})`);
  const live = liveness(found.state);
  if (live === 'running') {
    if (found.state.clusters.length !== opts.clusters) {
      throw new StaleStateError(
        opts.stateDir,
        `already runs ${found.state.clusters.length} cluster(s), not ${opts.clusters}`,
      );
    }
    return found.state;
  }
  if (live === 'partial') {
    const dead = allDaemons(found.state)
      .filter((d) => !isRunning(d))
      .map((d) => d.role);
    throw new StaleStateError(
      opts.stateDir,
      `a previous control plane is partly down (${dead.join(', ')} exited)`,
    );
  }
  // Every process is gone (a reboot, say): the old state is stale and safe to replace.
  opts.log(`Removing stale state in ${opts.stateDir}: none of its processes run any more.`);
  await removeTree(opts.stateDir);
  return undefined;
}

/** Starts etcd with its data in `dir`/etcd: on a dir it ran on before, it resumes that data. */
export function startEtcd(dir: string, clientPort: number, peerPort: number): DaemonRecord {
  const peer = `http://127.0.0.1:${peerPort}`;
  const client = `http://127.0.0.1:${clientPort}`;
  const etcd = startDaemon(
    'etcd',
    toolPath('etcd'),
    [
      '--name=ballast-dev',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=ballast-dev=${peer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
  return etcd;
}

export async function etcdHealthy(clientPort: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${clientPort}/health`, {
      signal: AbortSignal.timeout(2000),
    });
    return r.ok && ((await r.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/**
 * Starts etcd and `clusters` clusters on it, each with its own --etcd-prefix. Idempotent: a
 * running control plane is left alone. On any failure everything started is stopped again.
 */
export async function devUp(opts: UpOptions): Promise<UpResult> {
  const existing = await checkExisting(opts);
  if (existing !== undefined) return { kind: 'already-up', state: existing };
  const t0 = Date.now();
  await ensureTools(controlPlaneTools, opts.log);
  await mkdir(opts.stateDir, { recursive: true });
  const purposes = [
    'etcd client',
    'etcd peer',
    ...Array.from({ length: opts.clusters }, (_, i) => `apiserver of cluster-${i + 1}`),
  ];
  const ports = await allocatePorts(purposes, opts.portBase);
  const [clientPort, peerPort] = ports as [number, number];
  const started: DaemonRecord[] = [];
  // Interrupted mid-start: kill what started so no orphan outlives us.
  const onSignal = (): void => {
    for (const d of started) {
      try {
        process.kill(-d.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(stateFile(opts.stateDir), { force: true });
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  try {
    opts.log(`Starting etcd on 127.0.0.1:${clientPort}...`);
    const etcd = startEtcd(opts.stateDir, clientPort, peerPort);
    started.push(etcd);
    await waitFor(etcd, 'healthy', 30_000, () => etcdHealthy(clientPort));
    const clusters: ClusterState[] = await Promise.all(
      Array.from({ length: opts.clusters }, (_, i) => {
        const name = `cluster-${i + 1}`;
        const port = ports[2 + i] as number;
        opts.log(
          `Starting ${name}: kube-apiserver on https://127.0.0.1:${port}, controller-manager, scheduler, kwok...`,
        );
        return startCluster({
          name,
          dir: join(opts.stateDir, name),
          port,
          index: i + 1,
          nodes: opts.nodesPerCluster,
          etcdUrl: `http://127.0.0.1:${clientPort}`,
          etcdPrefix: `/ballast-dev/${name}`,
          controllerManagerQps: opts.controllerManagerQps,
          onDaemon: (d) => started.push(d),
        });
      }),
    );
    const kubeconfig = join(opts.stateDir, 'kubeconfig');
    await writeKubeconfigMerged(
      kubeconfig,
      clusters.map((c) => c.kubeconfig),
    );
    const state: DevState = {
      version: 1,
      etcd: { daemon: etcd, clientPort, peerPort },
      clusters,
      kubeconfig,
    };
    await writeState(opts.stateDir, state);
    return { kind: 'started', state, tookMs: Date.now() - t0 };
  } catch (e) {
    opts.log('Start failed; stopping what was started...');
    await Promise.all(started.reverse().map((d) => stopDaemon(d, 3_000)));
    await rm(stateFile(opts.stateDir), { force: true });
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export type DownResult = { kind: 'stopped'; processes: number } | { kind: 'not-running' };

/** Stops every process recorded in the state dir and removes the state dir. */
export async function devDown(stateDir: string): Promise<DownResult> {
  const found = await readState(stateDir);
  if (found.kind === 'none') return { kind: 'not-running' };
  if (found.kind === 'unreadable')
    throw new StaleStateError(stateDir, `unreadable (${found.reason}); remove the folder by hand`);
  // Components first, etcd last, so nothing logs storms of etcd errors while stopping.
  const clusters = found.state.clusters.flatMap((c) => c.daemons);
  await Promise.all(clusters.map((d) => stopDaemon(d)));
  await stopDaemon(found.state.etcd.daemon);
  for (const d of allDaemons(found.state)) {
    if (isRunning(d)) throw new ControlPlaneError(d.role, `pid ${d.pid} survived SIGKILL`);
  }
  // removeTree: a controller run against this control plane may keep its source cache (read-only
  // trees) in here, as bench:apps does.
  await removeTree(stateDir);
  return { kind: 'stopped', processes: allDaemons(found.state).length };
}

export interface StatusRow {
  cluster: string;
  role: string;
  pid: number;
  running: boolean;
  rssKiB: number | undefined;
  endpoint: string;
}

export type StatusResult =
  { kind: 'not-running' } | { kind: 'found'; state: DevState; rows: StatusRow[] };

export async function devStatus(stateDir: string): Promise<StatusResult> {
  const found = await readState(stateDir);
  if (found.kind === 'none') return { kind: 'not-running' };
  if (found.kind === 'unreadable')
    throw new StaleStateError(stateDir, `unreadable (${found.reason})`);
  const s = found.state;
  const row = (cluster: string, d: DaemonRecord, endpoint: string): StatusRow => ({
    cluster,
    role: d.role,
    pid: d.pid,
    running: isRunning(d),
    rssKiB: rssKiB(d.pid),
    endpoint,
  });
  const rows = [
    row('-', s.etcd.daemon, `http://127.0.0.1:${s.etcd.clientPort}`),
    ...s.clusters.flatMap((c) =>
      c.daemons.map((d) =>
        row(c.name, d, d.role === 'kube-apiserver' ? `https://127.0.0.1:${c.port}` : ''),
      ),
    ),
  ];
  return { kind: 'found', state: s, rows };
}
