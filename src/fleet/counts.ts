import type { SyncStatus } from '../api/application.js';
import { int, obj } from '../api/schema.js';
import type { HealthStatus } from '../api/health-status.js';

const n = (description: string) => int({ description, minimum: 0 });

/** Counts of Assignments (for a Cluster) or of clusters (for a FleetApplication) by sync and health. */
export function countsFields(what: string) {
  return {
    total: n(`All ${what}.`),
    sync: obj(
      {
        synced: n(`${what} whose cluster matches the pinned commit.`),
        outOfSync: n(`${what} whose cluster differs from it, or runs another commit.`),
        unknown: n(`${what} not compared yet.`),
      },
      { description: `${what} by sync status.` },
    ),
    health: obj(
      {
        healthy: n(`Healthy ${what}.`),
        suspended: n(`Suspended ${what}.`),
        progressing: n(`Progressing ${what}.`),
        unknown: n(`${what} of unknown health.`),
        missing: n(`${what} whose objects are missing.`),
        degraded: n(`Degraded ${what}.`),
      },
      { description: `${what} by health, from best to worst.` },
    ),
  };
}

export function countsSchema(what: string, description: string) {
  return obj(countsFields(what), { description });
}

export type Counts = {
  total: number;
  sync: { synced: number; outOfSync: number; unknown: number };
  health: {
    healthy: number;
    suspended: number;
    progressing: number;
    unknown: number;
    missing: number;
    degraded: number;
  };
};

const syncKey = {
  Synced: 'synced',
  OutOfSync: 'outOfSync',
  Unknown: 'unknown',
} as const satisfies Record<SyncStatus, keyof Counts['sync']>;

const healthKey = {
  Healthy: 'healthy',
  Suspended: 'suspended',
  Progressing: 'progressing',
  Unknown: 'unknown',
  Missing: 'missing',
  Degraded: 'degraded',
} as const satisfies Record<HealthStatus, keyof Counts['health']>;

/** Where one Assignment, or one cluster, stands. */
export interface SyncHealth {
  sync: SyncStatus;
  health: HealthStatus;
}

export function countOf(states: readonly SyncHealth[]): Counts {
  const c: Counts = {
    total: 0,
    sync: { synced: 0, outOfSync: 0, unknown: 0 },
    health: { healthy: 0, suspended: 0, progressing: 0, unknown: 0, missing: 0, degraded: 0 },
  };
  for (const s of states) {
    c.total += 1;
    c.sync[syncKey[s.sync]] += 1;
    c.health[healthKey[s.health]] += 1;
  }
  return c;
}
