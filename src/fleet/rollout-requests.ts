import { ballastApiVersion } from '../api/resource.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import type { FleetApplication, RolloutStatus } from './index.js';
import { rolloutAnnotations } from './names.js';

/**
 * What a person asks of a FleetApplication's rollout (pause, resume, promote, undo): one merge
 * patch naming them, which the hub carries out and records. `ballast fleet rollout` and the UI
 * make the same patches.
 */

const shortRevision = (revision: string | undefined): string => (revision ?? '').slice(0, 12);

/** The wave `promote` would release: the first one not complete. */
export function currentGroup(r: RolloutStatus | undefined): string | undefined {
  return r?.groups?.find((g) => !g.complete)?.name;
}

/** Nothing to do: the FleetApplication's rollout is not in a state the action applies to. */
export class RolloutActionError extends Error {
  override readonly name = 'RolloutActionError';
  constructor(
    readonly fleetApplication: string,
    readonly action: string,
    why: string,
  ) {
    super(`FleetApplication ${fleetApplication}: cannot ${action}: ${why}`);
  }
}

export async function patchFleetApp(
  cluster: Cluster,
  app: FleetApplication,
  patch: object,
): Promise<void> {
  const info = await cluster.discovery.resolve(ballastApiVersion, 'FleetApplication');
  if (info === undefined)
    throw new Error(`${cluster.http.server} does not serve FleetApplications`);
  const ns = app.metadata.namespace ?? '';
  const path = `/apis/${ballastApiVersion}/namespaces/${ns}/${info.resource}/${app.metadata.name}`;
  const r = await cluster.http.request('PATCH', path, JSON.stringify(patch), {
    'content-type': 'application/merge-patch+json',
  });
  if (r.status !== 200)
    throw KubeApiError.from(
      `FleetApplication ${ns}/${app.metadata.name}`,
      'patch',
      r.status,
      r.body,
    );
}

export type RolloutAction = 'pause' | 'resume' | 'promote' | 'undo';

/** The patch an action makes, or why it cannot be made now; `by` is who asks. Pure. */
export function rolloutPatchFor(
  app: FleetApplication,
  action: RolloutAction,
  reason: string,
  by: string,
): { patch: object; said: string } {
  const key = `${app.metadata.namespace ?? ''}/${app.metadata.name}`;
  const r = app.status?.rollout;
  const asked = { [rolloutAnnotations.requestedBy]: by };
  // A promotion names a revision, not a rollout: one left over would skip a wait in the next
  // rollout of the same revision (an undo to it, or a resume back from one).
  const unpromoted = { ...asked, [rolloutAnnotations.promote]: null };
  switch (action) {
    case 'pause':
      return {
        patch: { metadata: { annotations: asked }, spec: { rollout: { paused: true } } },
        said: 'paused: no more clusters start until `ballast fleet rollout resume`',
      };
    case 'resume':
      return {
        patch: {
          metadata: { annotations: app.spec.rollback === undefined ? asked : unpromoted },
          spec: { rollout: { paused: false }, rollback: null },
        },
        said:
          app.spec.rollback === undefined ? 'resumed' : 'resumed: following targetRevision again',
      };
    case 'promote': {
      const group = currentGroup(r);
      if (r === undefined || group === undefined)
        throw new RolloutActionError(key, action, 'no group is waiting; the rollout is complete');
      if (r.phase === 'Halted')
        throw new RolloutActionError(
          key,
          action,
          'the rollout is halted; push a fix or run `ballast fleet rollout undo`',
        );
      return {
        patch: {
          metadata: {
            annotations: {
              ...asked,
              [rolloutAnnotations.promote]: `${r.revision}/${r.startedAt}/${group}`,
            },
          },
        },
        said: `promoted group ${group} of ${shortRevision(r.revision)}: the next group starts without waiting`,
      };
    }
    case 'undo': {
      const to = r?.fromRevision;
      if (to === undefined)
        throw new RolloutActionError(
          key,
          action,
          'no earlier commit has been rolled out to return to',
        );
      return {
        patch: {
          metadata: { annotations: unpromoted },
          spec: {
            rollback: {
              revision: to,
              reason,
              requestedBy: by,
              requestedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          },
        },
        said: `rolling back to ${shortRevision(to)} through the same waves; new commits wait for \`ballast fleet rollout resume\``,
      };
    }
  }
}
