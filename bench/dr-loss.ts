import { isRunning, logTail, startDaemon } from '../src/dev/daemon.js';
import { agentRole, defaultFleetOptions, type DevSpoke } from '../src/dev/fleet.js';
import type { Cluster as FleetCluster } from '../src/fleet/cluster.js';
import { agentLeaseName, clusterNamespace } from '../src/fleet/names.js';
import { parseMicroTime } from '../src/reconcile/microtime.js';
import type { FleetWorld } from '../test/support/fleet-world.js';
import {
  commandLine,
  loggedAt,
  logLines,
  type LogLine,
  out,
  poll,
  replaceRecorded,
  sec,
} from './dr-spoke.js';
import { percentile } from './timing.js';

/** `ballast dev fleet`'s, which is also the hub's and the Cluster CRD's default. */
export const heartbeatMs = defaultFleetOptions('').heartbeatTimeoutMs;

/** Ready is a Cluster's only condition type. */
const readyOf = (c: FleetCluster | undefined): string | undefined =>
  c?.status?.conditions?.[0]?.status;

/** When the agent of `cluster` last renewed its Lease on the hub, in epoch ms. */
async function lastRenewal(w: FleetWorld, cluster: string): Promise<number> {
  const lease = await w.hub.get({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: agentLeaseName, namespace: clusterNamespace(cluster) },
  });
  const spec = lease?.['spec'] as { renewTime?: string } | undefined;
  return parseMicroTime(spec?.renewTime ?? '') ?? NaN;
}

export interface Loss {
  lostMs: number;
  /** How long before the kill the Lease was last renewed. */
  staleMs: number;
  backMs: number;
  /** From the restart: the stored identity read, and the first contact with the hub done. */
  identityMs: number;
  startedMs: number;
}

/** The first line logged with `msg` at or after `sinceMs`. */
async function startedLine(
  log: string,
  sinceMs: number,
  msg: string,
): Promise<LogLine | undefined> {
  return (await logLines(log)).find((l) => l.msg === msg && Date.parse(l.time ?? '') >= sinceMs);
}

/**
 * The agent's command line without `--token-file`: `ballast dev fleet` deletes that file once
 * every spoke is registered, and an agent given a file it cannot read exits, stored identity
 * or not. Restarted, an agent runs on the identity it stored on the spoke.
 */
function withoutTokenFile(argv: readonly string[]): string[] {
  const i = argv.indexOf('--token-file');
  return i < 0 ? [...argv] : [...argv.slice(0, i), ...argv.slice(i + 2)];
}

/** SIGKILLs a spoke's agent (no shutdown code runs), waits for Ready=False, restarts it. */
export async function loseSpoke(w: FleetWorld, spoke: DevSpoke): Promise<Loss> {
  const old = await w.daemon(spoke.devCluster, agentRole);
  const argv = commandLine(old.pid);
  const renewed = await lastRenewal(w, spoke.name);
  process.kill(-old.pid, 'SIGKILL');
  const killedAt = Date.now();
  const state = async (): Promise<string | undefined> => readyOf(await w.clusterOf(spoke.name));
  await poll(`${spoke.name} Ready=False`, async () => (await state()) === 'False', 3 * heartbeatMs);
  const lostMs = Date.now() - killedAt;
  const [binary, ...args] = withoutTokenFile(argv) as [string, ...string[]];
  const startedAt = Date.now();
  const next = startDaemon(agentRole, binary, args, old.log);
  await replaceRecorded(w.state, old, next);
  await poll(
    `${spoke.name} Ready=True`,
    async () => {
      if (!isRunning(next))
        throw new Error(`the restarted agent exited; its log ends:\n${await logTail(next, 30)}`);
      return (await state()) === 'True';
    },
    120_000,
  );
  const backMs = Date.now() - startedAt;
  // The restarted agent's own lines: the log file is appended to, so only those after the start.
  await poll(
    'the restarted agent logs it started',
    async () => (await startedLine(next.log, startedAt, 'agent started')) !== undefined,
    60_000,
  );
  const at = async (msg: string): Promise<number> =>
    loggedAt(await startedLine(next.log, startedAt, msg), msg) - startedAt;
  return {
    lostMs,
    staleMs: killedAt - renewed,
    backMs,
    identityMs: await at('holding a hub identity'),
    startedMs: await at('agent started'),
  };
}

export function printLosses(losses: readonly Loss[]): void {
  const m = (xs: number[]): string => sec(percentile(xs, 50));
  out(
    `  heartbeat timeout ${sec(heartbeatMs)} (the dev default; the agent renews its Lease every ${sec(heartbeatMs / 3)}):`,
  );
  out(
    `    agent SIGKILLed → Cluster Ready=False: median ${m(losses.map((l) => l.lostMs))} (runs: ${losses.map((l) => `${sec(l.lostMs)}, last renewal ${sec(l.staleMs)} before the kill`).join('; ')})`,
  );
  out(
    `      after the timeout ran out (last renewal + timeout → Ready=False): median ${m(losses.map((l) => l.staleMs + l.lostMs - heartbeatMs))}`,
  );
  out(
    `    agent restarted → Cluster Ready=True: median ${m(losses.map((l) => l.backMs))} (runs ${losses.map((l) => sec(l.backMs)).join(', ')})`,
  );
  out(
    `      of which, from the restart: stored identity read, median ${m(losses.map((l) => l.identityMs))}; 'agent started' (its controller started over the app, first contact with the hub done), median ${m(losses.map((l) => l.startedMs))}`,
  );
}
