import { applicationApiVersion, applicationKind } from '../../src/api/application.js';
import { openLedger, type LedgerRecord, type RolloutStep } from '../../src/audit/index.js';
import { hubLedgerPath } from '../../src/dev/fleet.js';
import { defaultAgentNamespace } from '../../src/fleet/agent/options.js';
import { pinnedAtAnnotation } from '../../src/fleet/names.js';
import { appNamespace, healthyAt, type FleetWorld } from './fleet-world.js';

export { healthyAt };

/** When one cluster got a commit, as the hub and its spoke recorded it. */
export interface Reached {
  cluster: string;
  /** The hub's pinned-at annotation from when the Assignment took the commit (ms). */
  pinnedAtMs: number;
  /**
   * When the spoke's sync of the commit finished, from its Application's history (whole
   * seconds, rounded down): the hub cannot have seen it Healthy there any earlier.
   */
  appliedAtMs: number;
  /** When the test first saw the Assignment Synced and Healthy at the commit. */
  seenHealthyMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The first sync of `sha` on the spoke's mirrored Application that finished at or after `fromMs`. */
async function appliedAt(
  w: FleetWorld,
  spoke: string,
  app: string,
  sha: string,
  fromMs: number,
): Promise<number> {
  const o = await w.spokeObject(spoke, {
    apiVersion: applicationApiVersion,
    kind: applicationKind,
    metadata: { name: `${appNamespace}.${app}`, namespace: defaultAgentNamespace },
  });
  const history =
    (o?.['status'] as { history?: { revision: string; time: string }[] } | undefined)?.history ??
    [];
  // History times are whole seconds: the sync that followed the pin may show its second.
  const floor = Math.floor(fromMs / 1000) * 1000;
  const times = history
    .filter((h) => h.revision === sha)
    .map((h) => Date.parse(h.time))
    .filter((t) => t >= floor);
  if (times.length === 0) throw new Error(`${spoke}: no sync of ${sha} in its history`);
  return Math.min(...times);
}

/**
 * Watches (by polling every 100 ms) the Assignments of `app` on `clusters` until every one is
 * Synced and Healthy at `sha`, recording when each was pinned to it and when its spoke
 * applied it. `onFirstHealthy` runs once, when the first cluster turns Healthy at `sha`.
 */
export async function recordRollout(
  w: FleetWorld,
  app: string,
  sha: string,
  clusters: readonly string[],
  timeoutMs: number,
  onFirstHealthy?: (cluster: string) => Promise<void>,
): Promise<Map<string, Reached>> {
  const reached = new Map<string, Reached>();
  const deadline = Date.now() + timeoutMs;
  let first = true;
  while (reached.size < clusters.length) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms: only ${[...reached.keys()].join(', ') || 'none'} of ${clusters.join(', ')} Synced and Healthy at ${sha}`,
      );
    const seen = await Promise.all(clusters.map((c) => w.assignment(c, app)));
    const now = Date.now();
    for (const [i, a] of seen.entries()) {
      const cluster = clusters[i] as string;
      if (reached.has(cluster) || a === undefined || !healthyAt(a, sha)) continue;
      const pinnedAtMs = Date.parse(a.metadata.annotations?.[pinnedAtAnnotation] ?? '');
      const appliedAtMs = await appliedAt(w, cluster, app, sha, pinnedAtMs);
      reached.set(cluster, { cluster, pinnedAtMs, appliedAtMs, seenHealthyMs: now });
      if (first && onFirstHealthy !== undefined) await onFirstHealthy(cluster);
      first = false;
    }
    await sleep(100);
  }
  return reached;
}

/** The waves as one line: each cluster's pin, spoke sync and Healthy, in seconds after `t0`. */
export function describeWaves(
  waves: readonly (readonly string[])[],
  names: readonly string[],
  reached: ReadonlyMap<string, Reached>,
  t0: number,
): string {
  const s = (ms: number): string => ((ms - t0) / 1000).toFixed(2);
  return waves
    .map((wave, i) => {
      const cs = [...wave]
        .map((c) => reached.get(c) as Reached)
        .sort((a, b) => a.pinnedAtMs - b.pinnedAtMs)
        .map(
          (r) =>
            `${r.cluster} pinned +${s(r.pinnedAtMs)}s, synced by +${s(r.appliedAtMs + 999)}s, seen Healthy +${s(r.seenHealthyMs)}s`,
        );
      return `${names[i] ?? '?'}: ${cs.join('; ')}`;
    })
    .join(' | ');
}

/** The hub ledger's rollout records of one FleetApplication, oldest first. */
export async function rolloutRecords(
  w: FleetWorld,
  app: string,
): Promise<(RolloutStep & Pick<LedgerRecord, 'seq'>)[]> {
  const ledger = await openLedger(`sqlite:${hubLedgerPath(w.state)}`);
  try {
    const all = await ledger.list({ app: { namespace: appNamespace, name: app } });
    return all.filter((r): r is RolloutStep & LedgerRecord => r.kind === 'rollout');
  } finally {
    await ledger.close();
  }
}
