import { readFileSync } from 'node:fs';
import { startDaemon, stopDaemon, type DaemonRecord } from '../../src/dev/daemon.js';
import { readState, writeState } from '../../src/dev/state.js';

/** A stopped kube-apiserver, and how to start it again exactly as `ballast dev up` did. */
export interface StoppedApiserver {
  start(): Promise<DaemonRecord>;
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
  const [binary, ...args] = readFileSync(`/proc/${old.pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((a) => a !== '');
  if (binary !== old.binary) throw new Error(`pid ${old.pid} does not run ${old.binary}`);
  await stopDaemon(old, 10_000);
  return {
    start: async () => {
      const d = startDaemon(old.role, old.binary, args, old.log);
      c.daemons = c.daemons.map((x) => (x === old ? d : x));
      await writeState(stateDir, found.state);
      return d;
    },
  };
}
