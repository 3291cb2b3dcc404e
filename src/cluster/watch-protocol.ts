import type { KubeObject } from '../api/object.js';
import type { ChangeType } from './watch-cache.js';

/** One line of a watch stream, parsed; input from the network is never trusted as typed. */
export type WatchLine =
  | { kind: 'change'; type: ChangeType; object: KubeObject }
  /** A checkpoint: nothing changed, but the watch may later resume from here. */
  | { kind: 'bookmark'; resourceVersion: string }
  /** A Status from the apiserver; code 410 means the resourceVersion is too old. */
  | { kind: 'error'; code: number; reason: string; message: string }
  | { kind: 'malformed'; problem: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isKubeObject(v: unknown): v is KubeObject {
  if (!isRecord(v) || !isRecord(v.metadata)) return false;
  return (
    typeof v.apiVersion === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.metadata.name === 'string'
  );
}

export function parseWatchLine(line: string): WatchLine {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (e) {
    return {
      kind: 'malformed',
      problem: `not JSON (${e instanceof Error ? e.message : String(e)})`,
    };
  }
  if (!isRecord(raw)) return { kind: 'malformed', problem: 'not a JSON object' };
  const { type, object } = raw;
  if (type === 'ERROR') {
    const status = isRecord(object) ? object : {};
    return {
      kind: 'error',
      code: typeof status.code === 'number' ? status.code : 0,
      reason: typeof status.reason === 'string' ? status.reason : 'Unknown',
      message: typeof status.message === 'string' ? status.message : line.slice(0, 500),
    };
  }
  if (type === 'BOOKMARK') {
    const meta = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
    const rv = meta.resourceVersion;
    return typeof rv === 'string'
      ? { kind: 'bookmark', resourceVersion: rv }
      : { kind: 'malformed', problem: 'BOOKMARK without metadata.resourceVersion' };
  }
  if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED')
    return { kind: 'malformed', problem: `unknown event type ${JSON.stringify(type)}` };
  if (!isKubeObject(object))
    return {
      kind: 'malformed',
      problem: `${type} event without an object with apiVersion, kind and name`,
    };
  return { kind: 'change', type, object };
}

/** How long to wait before the nth consecutive retry; the jitter keeps many watches apart. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** No retry waits longer than this. */
  maxMs: number;
}

/**
 * Exponential with "equal jitter": half the step is fixed, half random, so retries spread
 * out after a shared outage yet never come back at once.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const step = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random());
}

/**
 * A watch's server-side timeout, spread by up to `jitter` (a fraction) above `base`, so the
 * watches of one process do not all expire and rewatch in the same second.
 */
export function jitteredSeconds(base: number, jitter: number, random: () => number): number {
  return Math.round(base * (1 + jitter * random()));
}
