import { join } from 'node:path';
import { startApiserver } from '../../src/dev/cluster.js';
import { etcdHealthy, startEtcd } from '../../src/dev/controlplane.js';
import { isRunning, stopDaemon, type DaemonRecord } from '../../src/dev/daemon.js';
import { kubeRequest } from '../../src/dev/kube.js';
import { allocatePorts } from '../../src/dev/ports.js';
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
  stop(): Promise<void>;
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
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
