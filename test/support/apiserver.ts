import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import {
  isRunning,
  logTail,
  startDaemon,
  stopDaemon,
  type DaemonRecord,
} from '../../src/dev/daemon.js';
import { kubeRequest, type KubeEndpoint } from '../../src/dev/kube.js';
import { freePort } from '../../src/dev/ports.js';
import { readState, writeState } from '../../src/dev/state.js';
import { eventually, kubeFor } from './kube.js';

/** The value of each `--name=value` flag, by name, so a later one replaces an earlier one. */
const flagName = (arg: string): string => arg.slice(0, arg.indexOf('=') + 1 || arg.length);

/** `args` with `flags` (`--name=value`) added, each replacing an older flag of its name. */
export function withFlags(args: readonly string[], flags: readonly string[]): string[] {
  const replaced = new Set(flags.map(flagName));
  return [...args.filter((a) => !replaced.has(flagName(a))), ...flags];
}

/** The binary and arguments a running daemon was started with, read from /proc. */
export function commandLineOf(d: DaemonRecord): { binary: string; args: string[] } {
  const [binary, ...args] = readFileSync(`/proc/${d.pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((a) => a !== '');
  if (binary !== d.binary) throw new Error(`pid ${d.pid} does not run ${d.binary}`);
  return { binary, args };
}

/** A stopped kube-apiserver, and how to start it again exactly as `ballast dev up` did. */
export interface StoppedApiserver {
  /** Starts it again; `flags` (`--name=value`) are added or replace the old ones of that name. */
  start(flags?: readonly string[]): Promise<DaemonRecord>;
}

/**
 * Stops the kube-apiserver of one cluster of a dev control plane (SIGTERM, as a node reboot or
 * an upgrade would). Its command line is read from /proc first, so `start` runs the same
 * binary with the same flags, certificates and log; state.json then names the new pid, so
 * `dev down` stops it.
 */
export async function stopApiserver(stateDir: string, cluster: string): Promise<StoppedApiserver> {
  const found = await readState(stateDir);
  if (found.kind !== 'found') throw new Error(`${stateDir}: no dev control plane (${found.kind})`);
  const c = found.state.clusters.find((x) => x.name === cluster);
  const old = c?.daemons.find((d) => d.role === 'kube-apiserver');
  if (c === undefined || old === undefined)
    throw new Error(`${stateDir}: no apiserver of ${cluster}`);
  const { args } = commandLineOf(old);
  await stopDaemon(old, 10_000);
  return {
    start: async (flags = []) => {
      const d = startDaemon(old.role, old.binary, withFlags(args, flags), old.log);
      c.daemons = c.daemons.map((x) => (x === old ? d : x));
      await writeState(stateDir, found.state);
      return d;
    },
  };
}

/** A second kube-apiserver of a test cluster: same etcd, same certificates, other flags. */
export interface ExtraApiserver {
  /** Its URL, `https://127.0.0.1:PORT`. */
  server: string;
  /** The cluster's admin endpoint, pointed at this apiserver. */
  admin: KubeEndpoint;
  /**
   * A kubeconfig that reaches it with a bearer token. A ServiceAccount's token is not in
   * system:masters, so the apiserver's in-flight limits apply to it as to any controller.
   */
  kubeconfigFor(token: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts another kube-apiserver for `cluster` of a dev control plane, as `ballast dev up`
 * started the first (its command line is read from /proc), on a free port and with `flags`
 * added or replacing the first's, e.g. `--max-requests-inflight=1`. It serves the same objects
 * from the same etcd, as apiservers behind a load balancer do, so a test can throttle one
 * client without slowing every other test on the cluster. It is recorded in state.json, so
 * `dev down` stops it should the test not.
 */
export async function startExtraApiserver(
  stateDir: string,
  cluster: string,
  flags: readonly string[],
): Promise<ExtraApiserver> {
  const found = await readState(stateDir);
  if (found.kind !== 'found') throw new Error(`${stateDir}: no dev control plane (${found.kind})`);
  const c = found.state.clusters.find((x) => x.name === cluster);
  const first = c?.daemons.find((d) => d.role === 'kube-apiserver');
  if (c === undefined || first === undefined)
    throw new Error(`${stateDir}: no apiserver of ${cluster}`);
  const { binary, args } = commandLineOf(first);
  const dir = await mkdtemp(join(tmpdir(), 'ballast-apiserver-'));
  const port = await freePort();
  const own = [`--secure-port=${port}`, `--audit-log-path=${join(dir, 'audit.log')}`, ...flags];
  const argv = withFlags(args, own);
  const d = startDaemon('kube-apiserver-extra', binary, argv, join(dir, 'kube-apiserver.log'));
  c.daemons.push(d);
  await writeState(stateDir, found.state);
  const server = `https://127.0.0.1:${port}`;
  const admin = { ...(await kubeFor(c.kubeconfig)).ep, server };
  const stop = async (): Promise<void> => {
    await stopDaemon(d, 10_000);
    const now = await readState(stateDir);
    if (now.kind === 'found') {
      for (const x of now.state.clusters) x.daemons = x.daemons.filter((y) => y.pid !== d.pid);
      await writeState(stateDir, now.state);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(`the extra apiserver of ${cluster} is ready`, 90_000, async () => {
      if (!isRunning(d)) throw new Error(`it exited:\n${await logTail(d)}`);
      return (
        (await kubeRequest(admin, 'GET', '/readyz', undefined, { timeoutMs: 2_000 })).status === 200
      );
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    server,
    admin,
    kubeconfigFor: async (token) => {
      const file = join(dir, `kubeconfig-${randomBytes(4).toString('hex')}`);
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: cluster,
            cluster: { server, 'certificate-authority-data': admin.ca.toString('base64') },
          },
        ],
        users: [{ name: 'token', user: { token } }],
        contexts: [{ name: cluster, context: { cluster, user: 'token' } }],
        'current-context': cluster,
      };
      await writeFile(file, JSON.stringify(config), { mode: 0o600 });
      return file;
    },
    stop,
  };
}

/** A LIST as the admin whose answer is never read, so the apiserver's write of it blocks. */
async function stalledList(admin: KubeEndpoint, path: string): Promise<TLSSocket> {
  const url = new URL(admin.server);
  const socket = connect({
    host: url.hostname,
    port: Number(url.port),
    ca: admin.ca,
    cert: admin.cert,
    key: admin.key,
  });
  await once(socket, 'secureConnect');
  socket.pause();
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: application/json\r\n\r\n`);
  return socket;
}

/**
 * Holds the apiserver's one slot for reads (`--max-requests-inflight=1`) with LISTs as the
 * admin whose answers are never read, so their writes block. The admin is in system:masters,
 * which takes the slot when it is free and is let past when it is not: a LIST that arrived
 * while another request held the slot holds nothing. So LISTs are added until `held` says
 * another client is refused, and all are kept until `release`. `path` must list more than the
 * socket buffers hold (MBs).
 */
export async function holdReadSlot(
  admin: KubeEndpoint,
  path: string,
  held: () => Promise<boolean>,
): Promise<{ release(): void }> {
  const sockets: TLSSocket[] = [];
  const release = (): void => {
    for (const s of sockets) s.destroy();
  };
  for (let i = 0; i < 20; i++) {
    sockets.push(await stalledList(admin, path));
    await new Promise((r) => setTimeout(r, 300));
    if (await held()) return { release };
  }
  release();
  throw new Error(`20 stalled LISTs of ${path} did not hold the read slot of ${admin.server}`);
}
