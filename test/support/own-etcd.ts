import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startApiserver, type StartedApiserver } from '../../src/dev/cluster.js';
import { etcdHealthy, startEtcd } from '../../src/dev/controlplane.js';
import {
  isRunning,
  logTail,
  startDaemon,
  stopDaemon,
  type DaemonRecord,
} from '../../src/dev/daemon.js';
import { kubeRequest } from '../../src/dev/kube.js';
import { allocatePorts, freePort } from '../../src/dev/ports.js';
import { commandLineOf, withFlags } from './apiserver.js';
import { eventually } from './kube.js';
import { tempDirs } from './temp.js';

/**
 * An etcd and one kube-apiserver on it that belong to one test alone, started as `ballast dev
 * up` starts them (no controller-manager, scheduler or kwok: nothing here needs Pods), so the
 * test may crash its etcd without touching the shared control plane other files use.
 */
export interface OwnControlPlane {
  kubeconfig: string;
  /** The apiserver's URL, `https://127.0.0.1:PORT`, as the kubeconfig names it. */
  server: string;
  /** SIGKILLs etcd: a crash, no shutdown code runs. */
  killEtcd(): void;
  /** Starts etcd again on the same data dir and ports; resolves once it reports healthy. */
  restartEtcd(): Promise<void>;
  /** Whether the apiserver answers /readyz, which checks its etcd. */
  apiserverReady(): Promise<boolean>;
  apiserverAlive(): boolean;
  /**
   * Another kube-apiserver on the same etcd, with the same certificates (so one token or client
   * certificate works on both), and `flags` (`--name=value`) added or replacing the first's.
   * It serves the same objects, as apiservers behind a load balancer do; `stop` stops it too.
   */
  addApiserver(name: string, flags: readonly string[]): Promise<OwnApiserver>;
  stop(): Promise<void>;
}

/** A second apiserver of an own control plane. */
export interface OwnApiserver {
  /** The admin kubeconfig, pointed at it. */
  kubeconfig: string;
  server: string;
  /** Its audit log: JSON lines, one per write (create, update, patch, delete) answered. */
  auditLog: string;
}

/** Starts a copy of `first` on a free port with `flags`; resolves once it answers /readyz. */
async function addApiserver(
  first: StartedApiserver,
  dir: string,
  flags: readonly string[],
  onDaemon: (d: DaemonRecord) => void,
): Promise<OwnApiserver> {
  const { binary, args } = commandLineOf(first.daemon);
  const port = await freePort();
  const auditLog = `${dir}.audit.log`;
  const own = [`--secure-port=${port}`, `--audit-log-path=${auditLog}`, ...flags];
  const d = startDaemon('kube-apiserver', binary, withFlags(args, own), `${dir}.log`);
  onDaemon(d);
  const server = `https://127.0.0.1:${port}`;
  await eventually(`the apiserver ${dir} is ready`, 90_000, async () => {
    if (!isRunning(d)) throw new Error(`it exited:\n${await logTail(d)}`);
    const r = await kubeRequest({ ...first.ep, server }, 'GET', '/readyz', undefined, {
      timeoutMs: 2_000,
    });
    return r.status === 200;
  });
  const kubeconfig = `${dir}.kubeconfig`;
  const text = await readFile(first.kubeconfig, 'utf8');
  await writeFile(kubeconfig, text.replaceAll(first.ep.server, server), { mode: 0o600 });
  return { kubeconfig, server, auditLog };
}

export async function startOwnControlPlane(): Promise<OwnControlPlane> {
  const temp = tempDirs();
  const dir = await temp.make('ballast-own-cp-');
  const [clientPort, peerPort, apiPort] = (await allocatePorts(
    ['etcd client', 'etcd peer', 'apiserver'],
    undefined,
  )) as [number, number, number];
  const daemons: DaemonRecord[] = [];
  let etcd = startEtcd(dir, clientPort, peerPort);
  const stop = async (): Promise<void> => {
    // The apiserver first, so it does not log storms of etcd errors while stopping.
    for (const d of daemons) await stopDaemon(d, 3_000);
    await stopDaemon(etcd, 3_000);
    await temp.removeAll();
  };
  try {
    await eventually('the own etcd is healthy', 30_000, () => etcdHealthy(clientPort));
    const api = await startApiserver({
      name: 'own',
      dir: join(dir, 'own'),
      port: apiPort,
      etcdUrl: `http://127.0.0.1:${clientPort}`,
      etcdPrefix: '/ballast-own',
      onDaemon: (d) => daemons.push(d),
    });
    return {
      kubeconfig: api.kubeconfig,
      server: api.ep.server,
      killEtcd: () => {
        process.kill(-etcd.pid, 'SIGKILL');
      },
      restartEtcd: async () => {
        await eventually('the killed etcd is gone', 10_000, () =>
          Promise.resolve(!isRunning(etcd)),
        );
        etcd = startEtcd(dir, clientPort, peerPort);
        await eventually('the restarted etcd is healthy', 30_000, () => etcdHealthy(clientPort));
      },
      apiserverReady: async () => {
        const r = await kubeRequest(api.ep, 'GET', '/readyz', undefined, { timeoutMs: 2_000 });
        return r.status === 200;
      },
      apiserverAlive: () => isRunning(api.daemon),
      addApiserver: (name, flags) =>
        addApiserver(api, join(dir, name), flags, (d) => daemons.push(d)),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
