import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster } from '../src/dev/cluster.js';
import { startDaemon, stopDaemon, type DaemonRecord } from '../src/dev/daemon.js';
import { freePort } from '../src/dev/ports.js';
import { readState, writeState, type ClusterState, type DevState } from '../src/dev/state.js';

/** The dev control plane's state, which must exist. */
export async function stateOf(stateDir: string): Promise<DevState> {
  const found = await readState(stateDir);
  if (found.kind !== 'found') throw new Error(`${stateDir}: no dev control plane (${found.kind})`);
  return found.state;
}

/** Edits state.json, re-read first so another writer's change is kept. */
async function editState(stateDir: string, edit: (s: DevState) => void): Promise<void> {
  const s = await stateOf(stateDir);
  edit(s);
  await writeState(stateDir, s);
}

/**
 * Starts a process recorded among `cluster`'s daemons, so `dev down` (FleetWorld.close) stops
 * it should the bench fail before it does.
 */
export async function startRecorded(
  stateDir: string,
  cluster: string,
  role: string,
  argv: readonly string[],
  log: string,
): Promise<DaemonRecord> {
  const [binary, ...args] = argv as [string, ...string[]];
  const d = startDaemon(role, binary, args, log);
  await editState(stateDir, (s) => {
    s.clusters.find((c) => c.name === cluster)?.daemons.push(d);
  });
  return d;
}

/** A process's command line, from /proc: what restarting it runs again. */
export function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((a) => a !== '');
}

/** Puts `next` in `old`'s place in state.json. */
export async function replaceRecorded(
  stateDir: string,
  old: DaemonRecord,
  next: DaemonRecord,
): Promise<void> {
  await editState(stateDir, (s) => {
    for (const c of s.clusters) c.daemons = c.daemons.map((x) => (x.pid === old.pid ? next : x));
  });
}

/** A cluster started after the rest: the lost cluster's replacement, empty. */
export interface FreshCluster {
  state: ClusterState;
  dir: string;
  /** Stops every process recorded on it (its control plane, and what the bench ran there). */
  stop(): Promise<void>;
}

/**
 * Starts a brand-new cluster on the dev control plane's etcd, as `ballast dev up` starts each
 * (kube-apiserver, controller-manager, scheduler, kwok with one node), under an etcd prefix
 * no cluster has used, so it holds nothing but what a new apiserver makes. `index` picks its
 * pod CIDR (10.244.index.0/24) and must differ from every running cluster's.
 */
export async function startFreshCluster(
  stateDir: string,
  name: string,
  index: number,
): Promise<FreshCluster> {
  const s = await stateOf(stateDir);
  const dir = join(stateDir, name);
  const started: DaemonRecord[] = [];
  let state: ClusterState;
  try {
    state = await startCluster({
      name,
      dir,
      port: await freePort(),
      etcdUrl: `http://127.0.0.1:${s.etcd.clientPort}`,
      etcdPrefix: `/ballast-dev/${name}-${randomBytes(4).toString('hex')}`,
      index,
      nodes: 1,
      onDaemon: (d) => started.push(d),
    });
  } catch (e) {
    await Promise.all(started.map((d) => stopDaemon(d, 3_000)));
    throw e;
  }
  await editState(stateDir, (x) => x.clusters.push(state));
  return {
    state,
    dir,
    stop: async () => {
      const now = await stateOf(stateDir);
      const daemons = now.clusters.find((c) => c.name === name)?.daemons ?? state.daemons;
      // Its own processes first, the apiserver they talk to last.
      const [apiserver, rest] = [
        daemons.filter((d) => d.role === 'kube-apiserver'),
        daemons.filter((d) => d.role !== 'kube-apiserver'),
      ];
      await Promise.all(rest.map((d) => stopDaemon(d, 5_000)));
      await Promise.all(apiserver.map((d) => stopDaemon(d, 5_000)));
      await editState(stateDir, (x) => {
        x.clusters = x.clusters.filter((c) => c.name !== name);
      });
    },
  };
}

/** One JSON log line of a ballast process, as far as the bench reads it. */
export interface LogLine {
  time?: string;
  msg?: string;
  revision?: string;
  stagesMs?: { fetch: number; verify: number; render: number; apply: number };
}

export async function logLines(file: string): Promise<LogLine[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** When a line was logged, in epoch ms. */
export function loggedAt(line: LogLine | undefined, what: string): number {
  const t = line?.time === undefined ? NaN : Date.parse(line.time);
  if (Number.isNaN(t)) throw new Error(`no log line: ${what}`);
  return t;
}

/** Named durations in ms, in the order they happened. */
export type Phases = [name: string, ms: number][];

/**
 * The stages of the first reconcile that applied `sha`, from its `reconciled` line: fetch,
 * verify, render, apply, and when it started (its end less the stages), in epoch ms.
 */
export function reconcileOf(
  lines: readonly LogLine[],
  sha: string,
): { startedAt: number; endedAt: number; stages: Phases } {
  const line = lines.find((l) => l.msg === 'reconciled' && l.revision === sha);
  const endedAt = loggedAt(line, `reconciled at ${sha}`);
  const s = line?.stagesMs;
  if (s === undefined) throw new Error('the reconciled line has no stagesMs');
  const stages: Phases = [
    ['fetch', s.fetch],
    ['verify', s.verify],
    ['render', s.render],
    ['apply', s.apply],
  ];
  const total = stages.reduce((sum, [, ms]) => sum + ms, 0);
  return { startedAt: endedAt - total, endedAt, stages };
}

export const out = (line: string): void => {
  process.stdout.write(line + '\n');
};

export const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** As `until`, every 25 ms: each poll reads the hub, which must not be loaded much. */
export async function poll(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(25);
  }
}
