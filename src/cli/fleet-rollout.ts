import type { Command } from 'commander';
import { say, whoAmI } from './app-common.js';
import {
  fleetAppOptions,
  getFleetApp,
  nameArgument,
  readFleetApp,
  type FleetFlags,
} from './fleet.js';
import { safeJson, safeYaml } from './fleet-format.js';
import { rolloutReport, rolloutText } from './fleet-rollout-format.js';
import {
  patchFleetApp,
  rolloutPatchFor,
  type RolloutAction as Action,
} from '../fleet/rollout-requests.js';

export { RolloutActionError } from '../fleet/rollout-requests.js';
import { outputOption, withCluster } from './options.js';

/**
 * `ballast fleet rollout status|pause|resume|promote|undo`. Every action is a patch of the
 * FleetApplication naming who asked, as the apiserver authenticated them; the hub carries it
 * out and records it in its ledger.
 */

async function status(f: FleetFlags, name: string): Promise<void> {
  await withCluster(f, async (cluster) => {
    const { app, assignments, clusters } = await readFleetApp(cluster, f, name);
    const report = rolloutReport(app, assignments, clusters);
    if (f.output === 'json') say(safeJson(report));
    else if (f.output === 'yaml') say(safeYaml(report));
    else say(rolloutText(report));
  });
}

async function act(
  f: FleetFlags & { reason?: string },
  name: string,
  action: Action,
): Promise<void> {
  const namespace = f.namespace ?? f.fleetNamespace;
  await withCluster(f, async (cluster) => {
    const app = await getFleetApp(cluster, namespace, name);
    const { patch, said } = rolloutPatchFor(app, action, f.reason ?? '', await whoAmI(cluster));
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
