import { Argument, Option, type Command } from 'commander';
import { byCodePoint } from '../api/object.js';
import { ballastApiVersion } from '../api/resource.js';
import type { Cluster } from '../cluster/cluster.js';
import type { ResourceInfo } from '../cluster/discovery.js';
import { KubeApiError } from '../cluster/errors.js';
import {
  assignmentLabels,
  defaultFleetNamespace,
  type Assignment,
  type Cluster as FleetCluster,
  type FleetApplication,
} from '../fleet/index.js';
import { labelValueFor } from '../fleet/names.js';
import { say } from './app-common.js';
import { addRegistrationCommands } from './fleet-registration.js';
import { addRolloutCommands } from './fleet-rollout.js';
import {
  clusterTable,
  fleetAppTable,
  nameLines,
  safeJson,
  safeYaml,
  type TableWidth,
} from './fleet-format.js';
import { allReady, assignmentsOf, fleetStatusReport, statusText } from './fleet-status.js';
import {
  kubeOptions,
  namespaceOption,
  outputOption,
  withCluster,
  type KubeFlags,
} from './options.js';
import { parseNamespace, parseObjectName, UsageError } from './parse.js';

/**
 * `ballast fleet`: the hub's view of the fleet. This file holds the reads (list, get, status,
 * clusters); registration's commands are added by fleet-registration.ts.
 */

/** What every `ballast fleet` read shares. */
export interface FleetFlags extends KubeFlags {
  /** `--fleet-namespace`: where the Clusters live, and the FleetApplications unless `-n`. */
  fleetNamespace: string;
  /** `-n`: the FleetApplications' namespace. */
  namespace?: string;
  /** `-A`: FleetApplications of every namespace. */
  allNamespaces?: boolean;
  output: Output;
}

type Output = 'table' | 'wide' | 'json' | 'yaml' | 'name';

/** A FleetApplication or Cluster that the hub does not have. */
export class FleetObjectNotFoundError extends Error {
  override readonly name = 'FleetObjectNotFoundError';
  constructor(
    readonly kind: 'FleetApplication',
    readonly namespace: string,
    readonly objectName: string,
    /** What to run to find the right one. */
    readonly hint: string,
  ) {
    super(`${kind} ${objectName}: not found in namespace ${namespace}; ${hint}`);
  }
}

/** The cluster the flags name does not serve the fleet's kinds: it is not a hub. */
export class NotAHubError extends Error {
  override readonly name = 'NotAHubError';
  constructor(
    readonly server: string,
    readonly kind: string,
  ) {
    super(
      `${server} does not serve ${kind}.${ballastApiVersion}: the fleet CRDs are not installed ` +
        'there, so it is not a Ballast hub; point --kubeconfig or --context at the hub',
    );
  }
}

export async function kindInfo(cluster: Cluster, kind: string): Promise<ResourceInfo> {
  const info = await cluster.discovery.resolve(ballastApiVersion, kind);
  if (info === undefined) throw new NotAHubError(cluster.http.server, kind);
  return info;
}

const byNamespaceAndName = (
  a: { metadata: { namespace?: string; name: string } },
  b: { metadata: { namespace?: string; name: string } },
): number =>
  byCodePoint(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
  byCodePoint(a.metadata.name, b.metadata.name);

export async function getFleetApp(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<FleetApplication> {
  await kindInfo(cluster, 'FleetApplication');
  const app = await cluster.get({
    apiVersion: ballastApiVersion,
    kind: 'FleetApplication',
    metadata: { name, namespace },
  });
  if (app === undefined)
    throw new FleetObjectNotFoundError(
      'FleetApplication',
      namespace,
      name,
      '`ballast fleet list -A` lists them in every namespace',
    );
  return app as unknown as FleetApplication;
}

/** How a list of objects is printed for each `-o`. */
interface Printed {
  kind: 'FleetApplication' | 'Cluster';
  /** Said on stderr, as kubectl does, when there is nothing to print in a table. */
  none: string;
  table: (width: TableWidth) => string;
}

function print(
  objects: readonly FleetApplication[] | readonly FleetCluster[],
  one: boolean,
  output: Output,
  p: Printed,
): void {
  const data = one ? objects[0] : objects;
  if (output === 'json') say(safeJson(data));
  else if (output === 'yaml') say(safeYaml(data));
  else if (output === 'name') {
    if (objects.length > 0) say(nameLines(p.kind, objects));
  } else if (objects.length === 0) process.stderr.write(`${p.none}\n`);
  else say(p.table(output === 'wide' ? 'wide' : 'normal'));
}

async function listFleetApps(f: FleetFlags, name: string | undefined): Promise<void> {
  const all = f.allNamespaces === true;
  if (all && name !== undefined)
    throw new UsageError(
      `-A lists every namespace; to get FleetApplication ${name}, name its namespace with -n`,
    );
  const namespace = f.namespace ?? f.fleetNamespace;
  await withCluster(f, async (cluster) => {
    const info = await kindInfo(cluster, 'FleetApplication');
    const items =
      name === undefined
        ? ((await cluster.list(info, all ? {} : { namespace })) as unknown as FleetApplication[])
        : [await getFleetApp(cluster, namespace, name)];
    items.sort(byNamespaceAndName);
    print(items, name !== undefined, f.output, {
      kind: 'FleetApplication',
      none: `No FleetApplications found${all ? '' : ` in namespace ${namespace}`}.`,
      table: (width) => fleetAppTable(items, { withNamespace: all, width, now: Date.now() }),
    });
  });
}

/**
 * `list` of a fleet kind, or undefined when the caller may not: a tenant who may read only its
 * own FleetApplications still gets the hub's aggregate.
 */
async function listIfAllowed<T>(list: () => Promise<T[]>): Promise<T[] | undefined> {
  try {
    return await list();
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 403) return undefined;
    throw e;
  }
}

interface StatusFlags extends FleetFlags {
  /** `--exit-code`: exit 1 unless every cluster is Synced and Healthy. */
  exitCode?: boolean;
}

/**
 * A FleetApplication with its own Assignments and the fleet's Clusters, each undefined when
 * the caller may not list them: what `fleet status` and `fleet rollout status` show.
 */
export async function readFleetApp(
  cluster: Cluster,
  f: FleetFlags,
  name: string,
): Promise<{
  app: FleetApplication;
  assignments: Assignment[] | undefined;
  clusters: FleetCluster[] | undefined;
}> {
  const namespace = f.namespace ?? f.fleetNamespace;
  const app = await getFleetApp(cluster, namespace, name);
  const [assignmentInfo, clusterInfo] = await Promise.all([
    kindInfo(cluster, 'Assignment'),
    kindInfo(cluster, 'Cluster'),
  ]);
  const selector = `${assignmentLabels.fleetNamespace}=${namespace},${assignmentLabels.fleetName}=${labelValueFor(name)}`;
  const [assignments, clusters] = await Promise.all([
    listIfAllowed(
      async () =>
        (await cluster.list(assignmentInfo, {
          labelSelector: selector,
        })) as unknown as Assignment[],
    ),
    listIfAllowed(
      async () =>
        (await cluster.list(clusterInfo, {
          namespace: f.fleetNamespace,
        })) as unknown as FleetCluster[],
    ),
  ]);
  return {
    app,
    assignments: assignments && assignmentsOf({ namespace, name }, assignments),
    clusters,
  };
}

async function fleetStatus(f: StatusFlags, name: string): Promise<void> {
  await withCluster(f, async (cluster) => {
    const { app, assignments, clusters } = await readFleetApp(cluster, f, name);
    const report = fleetStatusReport({
      fleetApplication: app,
      assignments,
      clusters,
      fleetNamespace: f.fleetNamespace,
    });
    if (f.output === 'json') say(safeJson(report));
    else if (f.output === 'yaml') say(safeYaml(report));
    else say(statusText(report));
    if (f.exitCode === true && !allReady(report)) process.exitCode = 1;
  });
}

interface ClustersFlags extends FleetFlags {
  /** `-l`: a label selector, as kubectl takes it. */
  selector?: string;
}

async function listClusters(f: ClustersFlags): Promise<void> {
  await withCluster(f, async (cluster) => {
    const info = await kindInfo(cluster, 'Cluster');
    const items = (await cluster.list(info, {
      namespace: f.fleetNamespace,
      ...(f.selector === undefined ? {} : { labelSelector: f.selector }),
    })) as unknown as FleetCluster[];
    items.sort(byNamespaceAndName);
    const matching = f.selector === undefined ? '' : ` matching ${f.selector}`;
    print(items, false, f.output, {
      kind: 'Cluster',
      none: `No Clusters found in namespace ${f.fleetNamespace}${matching}.`,
      table: (width) => clusterTable(items, { width, now: Date.now() }),
    });
  });
}

/** `--kubeconfig`, `--context` (the hub's) and `--fleet-namespace`. */
function hubOptions(cmd: Command): Command {
  return kubeOptions(cmd, 'of the hub').addOption(
    new Option(
      '--fleet-namespace <ns>',
      'the hub namespace of the Clusters, and of the FleetApplications unless -n',
    )
      .argParser(parseNamespace)
      .default(defaultFleetNamespace)
      .helpGroup('Cluster options:'),
  );
}

export function fleetAppOptions(cmd: Command): Command {
  return hubOptions(
    namespaceOption(cmd, 'namespace of the FleetApplications', {
      kind: 'flag',
      flag: '--fleet-namespace',
    }),
  );
}

export const nameArgument = (description: string): Argument =>
  new Argument('<name>', description).argParser(parseObjectName);

export function registerFleet(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('the fleet, read from the hub: FleetApplications, their clusters, Clusters');
  const listFormats = ['table', 'wide', 'json', 'yaml', 'name'] as const;
  outputOption(
    fleetAppOptions(fleet.command('list').description('list FleetApplications')),
    listFormats,
  )
    .option('-A, --all-namespaces', 'every namespace', false)
    .action((f: FleetFlags) => listFleetApps(f, undefined));
  outputOption(
    fleetAppOptions(
      fleet
        .command('get')
        .description('show one FleetApplication, or list them when no name is given')
        .addArgument(nameArgument('the FleetApplication').argOptional()),
    ),
    listFormats,
  )
    .option('-A, --all-namespaces', 'every namespace (without a name)', false)
    .action((name: string | undefined, f: FleetFlags) => listFleetApps(f, name));
  outputOption(
    fleetAppOptions(
      fleet
        .command('status')
        .description('one row per cluster of a FleetApplication, and a summary (exit 0 once read)')
        .addArgument(nameArgument('the FleetApplication')),
    ),
    ['table', 'json', 'yaml'],
  )
    .option(
      '--exit-code',
      'exit 1 unless the hub has acted on the spec and every cluster is Synced and Healthy',
    )
    .action((name: string, f: StatusFlags) => fleetStatus(f, name));
  outputOption(
    hubOptions(
      fleet
        .command('clusters')
        .description('list the Clusters: READY, LABELS, AGENT, LAST-SEEN, APPS'),
    ),
    listFormats,
  )
    .option(
      '-l, --selector <selector>',
      'only Clusters with these labels, e.g. region=eu,tier=store',
    )
    .action((f: ClustersFlags) => listClusters(f));
  addRegistrationCommands(fleet);
  addRolloutCommands(fleet);
}
