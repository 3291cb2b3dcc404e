import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRunning, type DaemonRecord } from './daemon.js';

/** One cluster of a dev control plane. */
export interface ClusterState {
  name: string;
  /** The apiserver's loopback HTTPS port. */
  port: number;
  etcdPrefix: string;
  kubeconfig: string;
  daemons: DaemonRecord[];
}

/** What `ballast dev up` started, so `down` and `status` can find it again. */
export interface DevState {
  version: 1;
  etcd: { daemon: DaemonRecord; clientPort: number; peerPort: number };
  clusters: ClusterState[];
  /** The merged kubeconfig with one context per cluster. */
  kubeconfig: string;
}

export type ReadState =
  { kind: 'none' } | { kind: 'found'; state: DevState } | { kind: 'unreadable'; reason: string };

export const stateFile = (dir: string): string => join(dir, 'state.json');

function isDaemon(v: unknown): v is DaemonRecord {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return (
    typeof d.role === 'string' &&
    typeof d.pid === 'number' &&
    typeof d.binary === 'string' &&
    typeof d.log === 'string'
  );
}

function parseState(text: string): DevState | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (typeof raw !== 'object' || raw === null) return 'not an object';
  const s = raw as Record<string, unknown>;
  if (s.version !== 1) return `unknown version ${JSON.stringify(s.version)}`;
  const etcd = s.etcd as Record<string, unknown> | undefined;
  if (etcd === undefined || !isDaemon(etcd.daemon)) return 'no etcd record';
  if (!Array.isArray(s.clusters)) return 'no clusters list';
  for (const c of s.clusters as unknown[]) {
    const cs = c as Record<string, unknown>;
    if (typeof cs.name !== 'string' || !Array.isArray(cs.daemons) || !cs.daemons.every(isDaemon)) {
      return 'a malformed cluster record';
    }
  }
  return raw as DevState;
}

export async function readState(dir: string): Promise<ReadState> {
  let text: string;
  try {
    text = await readFile(stateFile(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unreadable', reason: (e as Error).message };
  }
  const parsed = parseState(text);
  return typeof parsed === 'string'
    ? { kind: 'unreadable', reason: parsed }
    : { kind: 'found', state: parsed };
}

/** Written atomically, so a crash never leaves half a state file. */
export async function writeState(dir: string, state: DevState): Promise<void> {
  const tmp = stateFile(dir) + '.tmp';
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, stateFile(dir));
}

export function allDaemons(state: DevState): DaemonRecord[] {
  return [state.etcd.daemon, ...state.clusters.flatMap((c) => c.daemons)];
}

export type Liveness = 'running' | 'stopped' | 'partial';

export function liveness(state: DevState): Liveness {
  const alive = allDaemons(state).map(isRunning);
  if (alive.every(Boolean)) return 'running';
  if (alive.some(Boolean)) return 'partial';
  return 'stopped';
}
