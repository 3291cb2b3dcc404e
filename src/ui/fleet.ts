import { ballastApiVersion, ballastGroup } from '../api/resource.js';
import type { Cluster } from '../cluster/cluster.js';
import type { ResourceInfo } from '../cluster/discovery.js';
import { KubeApiError } from '../cluster/errors.js';
import { whoAmI } from '../cluster/whoami.js';
import {
  assignmentLabels,
  assignmentState,
  clusterNamespace,
  defaultFleetNamespace,
  strategyOf,
  wavesOf,
  type Assignment,
  type Cluster as FleetCluster,
  type FleetApplication,
} from '../fleet/index.js';
import { labelValueFor } from '../fleet/names.js';
import {
  patchFleetApp,
  rolloutPatchFor,
  RolloutActionError,
  type RolloutAction,
} from '../fleet/rollout-requests.js';
import type {
  ActionResult,
  ClusterView,
  FleetAppDetail,
  FleetAppSummary,
  FleetCell,
  FleetOverview,
} from './api.js';
import { userMay } from './app-detail.js';
import { UiHttpError } from './http.js';

/** The fleet routes: what `ballast fleet` reads and asks, with the session's client. */

async function infoOf(cluster: Cluster, kind: string): Promise<ResourceInfo> {
  const info = await cluster.discovery.resolve(ballastApiVersion, kind);
  if (info === undefined)
    throw new UiHttpError(404, 'the fleet API is not installed on this cluster', 'NotFound');
  return info;
}

export async function fleetInstalled(cluster: Cluster): Promise<boolean> {
  return (await cluster.discovery.resolve(ballastApiVersion, 'FleetApplication')) !== undefined;
}

/** A list the user may not make reads as empty: a tenant sees its own FleetApplications. */
async function listOrEmpty<T>(list: () => Promise<T[]>): Promise<T[]> {
  try {
    return await list();
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 403) return [];
    throw e;
  }
}

function clusterView(c: FleetCluster): ClusterView {
  const ready = c.status?.conditions?.find((x) => (x.type as string) === 'Ready');
  const apps = c.status?.apps;
  return {
    name: c.metadata.name,
    ready: ready?.status === 'True',
    ...(ready === undefined ? {} : { readyReason: ready.reason }),
    ...(c.status?.lastHeartbeatTime === undefined
      ? {}
      : { lastHeartbeatTime: c.status.lastHeartbeatTime }),
    labels: { ...(c.metadata.labels ?? {}) },
    apps: {
      total: apps?.total ?? 0,
      synced: apps?.sync.synced ?? 0,
      healthy: apps?.health.healthy ?? 0,
    },
  };
}

function appSummary(a: FleetApplication): FleetAppSummary {
  const s = a.status?.summary;
  return {
    namespace: a.metadata.namespace ?? '',
    name: a.metadata.name,
    targetRevision: a.spec.template.source.targetRevision,
    paused:
      (a.spec.rollout as Partial<FleetApplication['spec']['rollout']> | undefined)?.paused === true,
    clusters: s?.total ?? 0,
    synced: s?.sync.synced ?? 0,
    healthy: s?.health.healthy ?? 0,
    failed: s?.failing ?? 0,
  };
}

export async function fleetOverview(cluster: Cluster): Promise<FleetOverview> {
  const [clusterInfo, appInfo] = await Promise.all([
    infoOf(cluster, 'Cluster'),
    infoOf(cluster, 'FleetApplication'),
  ]);
  const [clusters, apps] = await Promise.all([
    listOrEmpty(
      async () =>
        (await cluster.list(clusterInfo, {
          namespace: defaultFleetNamespace,
        })) as unknown as FleetCluster[],
    ),
    listOrEmpty(async () => (await cluster.list(appInfo)) as unknown as FleetApplication[]),
  ]);
  return {
    clusters: clusters.map(clusterView).sort((a, b) => (a.name < b.name ? -1 : 1)),
    applications: apps.map(appSummary),
  };
}

async function getFleetApp(cluster: Cluster, ns: string, name: string): Promise<FleetApplication> {
  await infoOf(cluster, 'FleetApplication');
  const app = await cluster.get({
    apiVersion: ballastApiVersion,
    kind: 'FleetApplication',
    metadata: { name, namespace: ns },
  });
  if (app === undefined)
    throw new UiHttpError(404, `FleetApplication ${ns}/${name}: not found`, 'NotFound');
  return app as unknown as FleetApplication;
}

/**
 * Each placed cluster's rollout group, as the hub forms the waves (from the Clusters' labels);
 * empty when the user may not read the Clusters.
 */
function groupsOf(app: FleetApplication, clusters: readonly FleetCluster[]): Map<string, string> {
  const placed = new Set((app.status?.clusters ?? []).map((e) => e.name));
  const rc = clusters
    .filter((c) => placed.has(c.metadata.name))
    .map((c) => ({
      name: c.metadata.name,
      ...(c.metadata.labels === undefined ? {} : { labels: c.metadata.labels }),
      state: { sync: 'Unknown' as const, health: 'Unknown' as const },
    }));
  const strategy = app.status?.rollout?.strategy ?? strategyOf(app.spec.rollout, rc.length);
  const out = new Map<string, string>();
  for (const w of wavesOf(app.spec.rollout, strategy, rc))
    for (const c of w.clusters) out.set(c.name, w.name);
  return out;
}

/** One cell per cluster with an Assignment of this FleetApplication, judged as the hub does. */
function cellsOf(
  app: FleetApplication,
  assignments: readonly Assignment[],
  groupOf: ReadonlyMap<string, string>,
): FleetCell[] {
  const ns = app.metadata.namespace ?? '';
  return assignments
    .filter(
      (a) =>
        a.spec.fleetApplication.namespace === ns &&
        a.spec.fleetApplication.name === app.metadata.name &&
        a.metadata.namespace === clusterNamespace(a.spec.cluster),
    )
    .map((a) => {
      const state = assignmentState(a);
      const group = groupOf.get(a.spec.cluster);
      return {
        cluster: a.spec.cluster,
        ...(group === undefined ? {} : { group }),
        ...(state.revision === undefined ? {} : { revision: state.revision }),
        sync: state.sync,
        health: state.health,
        ...(state.failure === undefined ? {} : { message: state.failure.message }),
      };
    })
    .sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
}

export async function fleetAppDetail(
  cluster: Cluster,
  ns: string,
  name: string,
): Promise<FleetAppDetail> {
  const app = await getFleetApp(cluster, ns, name);
  const info = await infoOf(cluster, 'Assignment');
  const clusterInfo = await infoOf(cluster, 'Cluster');
  const selector = `${assignmentLabels.fleetNamespace}=${ns},${assignmentLabels.fleetName}=${labelValueFor(name)}`;
  const [assignments, clusters, patch] = await Promise.all([
    listOrEmpty(
      async () =>
        (await cluster.list(info, { labelSelector: selector })) as unknown as Assignment[],
    ),
    listOrEmpty(
      async () =>
        (await cluster.list(clusterInfo, {
          namespace: defaultFleetNamespace,
        })) as unknown as FleetCluster[],
    ),
    userMay(cluster, {
      namespace: ns,
      verb: 'patch',
      group: ballastGroup,
      resource: 'fleetapplications',
      name,
    }),
  ]);
  const r = app.status?.rollout;
  const groupOf = groupsOf(app, clusters);
  const members = (group: string): string[] =>
    [...groupOf].filter(([, g]) => g === group).map(([c]) => c);
  return {
    ...appSummary(app),
    groups: (r?.groups ?? []).map((g) => ({
      name: g.name,
      state: g.complete
        ? 'Complete'
        : g.failed > 0
          ? `${String(g.failed)} failed`
          : `${String(g.done)}/${String(g.clusters)} done`,
      clusters: members(g.name),
    })),
    cells: cellsOf(app, assignments, groupOf),
    can: { pause: patch, promote: patch },
  };
}

const fleetActions: readonly RolloutAction[] = ['pause', 'resume', 'promote'];

export async function fleetAppAction(
  cluster: Cluster,
  ns: string,
  name: string,
  action: string,
): Promise<ActionResult> {
  if (!(fleetActions as readonly string[]).includes(action))
    throw new UiHttpError(404, `no fleet action ${action}; one of ${fleetActions.join(', ')}`);
  const app = await getFleetApp(cluster, ns, name);
  let made: { patch: object; said: string };
  try {
    made = rolloutPatchFor(app, action as RolloutAction, '', await whoAmI(cluster));
  } catch (e) {
    if (e instanceof RolloutActionError) throw new UiHttpError(409, e.message, 'Conflict');
    throw e;
  }
  await patchFleetApp(cluster, app, made.patch);
  return {
    action: action as RolloutAction & ActionResult['action'],
    message: `fleetapplication.ballast.dev/${name} ${made.said}`,
  };
}
