import type { Command } from 'commander';
import { ballastApiVersion } from '../api/resource.js';
import type { Cluster } from '../cluster/cluster.js';
import { KubeApiError } from '../cluster/errors.js';
import type { FleetApplication } from '../fleet/index.js';
import { rolloutAnnotations } from '../fleet/names.js';
import { say, whoAmI } from './app-common.js';
import {
  fleetAppOptions,
  getFleetApp,
  kindInfo,
  nameArgument,
  readFleetApp,
  type FleetFlags,
} from './fleet.js';
import { safeJson, safeYaml, shortRevision } from './fleet-format.js';
import { currentGroup, rolloutReport, rolloutText } from './fleet-rollout-format.js';
import { outputOption, withCluster } from './options.js';

/**
 * `ballast fleet rollout status|pause|resume|promote|undo`. Every action is a patch of the
 * FleetApplication naming who asked, as the apiserver authenticated them; the hub carries it
 * out and records it in its ledger.
 */

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

async function patchFleetApp(
  cluster: Cluster,
  app: FleetApplication,
  patch: object,
): Promise<void> {
  const info = await kindInfo(cluster, 'FleetApplication');
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

async function status(f: FleetFlags, name: string): Promise<void> {
  await withCluster(f, async (cluster) => {
    const { app, assignments, clusters } = await readFleetApp(cluster, f, name);
    const report = rolloutReport(app, assignments, clusters);
    if (f.output === 'json') say(safeJson(report));
    else if (f.output === 'yaml') say(safeYaml(report));
    else say(rolloutText(report));
  });
}

type Action = 'pause' | 'resume' | 'promote' | 'undo';

/** The patch an action makes, or why it cannot be made now. */
async function patchFor(
  cluster: Cluster,
  app: FleetApplication,
  action: Action,
  reason: string,
): Promise<{ patch: object; said: string }> {
  const by = await whoAmI(cluster);
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

async function act(
  f: FleetFlags & { reason?: string },
  name: string,
  action: Action,
): Promise<void> {
  const namespace = f.namespace ?? f.fleetNamespace;
  await withCluster(f, async (cluster) => {
    const app = await getFleetApp(cluster, namespace, name);
    const { patch, said } = await patchFor(cluster, app, action, f.reason ?? '');
    await patchFleetApp(cluster, app, patch);
    say(`fleetapplication.ballast.dev/${name} ${said}`);
  });
}

export function addRolloutCommands(fleet: Command): void {
  const rollout = fleet
    .command('rollout')
    .description('see and steer how a new commit reaches the clusters, group by group');
  outputOption(
    fleetAppOptions(
      rollout
        .command('status')
        .description('the groups, which clusters run which commit, and the failures')
        .addArgument(nameArgument('the FleetApplication')),
    ),
    ['table', 'json', 'yaml'],
  ).action((name: string, f: FleetFlags) => status(f, name));
  const actions: [Action, string][] = [
    ['pause', 'start no more clusters (those updating carry on)'],
    ['resume', 'carry on after pause, and follow targetRevision again after undo'],
    ['promote', 'skip the wait of the current group'],
    ['undo', 'roll the commit the fleet ran before out again, through the same waves'],
  ];
  for (const [action, description] of actions) {
    const cmd = fleetAppOptions(
      rollout
        .command(action)
        .description(description)
        .addArgument(nameArgument('the FleetApplication')),
    );
    if (action === 'undo') cmd.option('--reason <text>', 'why, recorded in the hub ledger');
    cmd.action((name: string, f: FleetFlags & { reason?: string }) => act(f, name, action));
  }
}
