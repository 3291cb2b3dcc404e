import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/object.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { devDown } from '../../src/dev/controlplane.js';
import { startDaemon, stopDaemon, type DaemonRecord } from '../../src/dev/daemon.js';
import {
  defaultFleetOptions,
  devFleet,
  notifyHub,
  type DevFleet,
  type FleetOptions,
} from '../../src/dev/fleet.js';
import {
  createBareRepo,
  createGpgSigner,
  startGitServer,
  WorkingClone,
  type GitServer,
  type GpgSigner,
} from '../../src/dev/git/index.js';
import { readState, writeState } from '../../src/dev/state.js';
import type { Assignment } from '../../src/fleet/assignment.js';
import type { Cluster as FleetCluster } from '../../src/fleet/cluster.js';
import type { FleetApplication } from '../../src/fleet/fleet-application.js';
import { clusterNamespace } from '../../src/fleet/names.js';
import { tempDirs } from './temp.js';

/** The namespace of the tests' FleetApplications on the hub. */
export const appNamespace = 'retail';
const api = 'ballast.dev/v1alpha1';

/**
 * A hub and spokes of their own, from `ballast dev fleet` on a control plane in a temp dir (so
 * stopping the hub's apiserver disturbs no other test file), agents as separate processes that
 * verify with a GPG key, and the real Git server (anonymous reads: the hub fetches without
 * credentials) with one repository, `apps`.
 */
export class FleetWorld {
  readonly hub: Cluster;
  readonly spokes: ReadonlyMap<string, Cluster>;

  private constructor(
    readonly state: string,
    readonly options: FleetOptions,
    readonly fleet: DevFleet,
    readonly server: GitServer,
    readonly repo: WorkingClone,
    readonly gpg: GpgSigner,
    private readonly temp: ReturnType<typeof tempDirs>,
  ) {
    this.hub = Cluster.connect({ kubeconfig: fleet.hub.kubeconfig });
    this.spokes = new Map(
      fleet.spokes.map((s) => [s.name, Cluster.connect({ kubeconfig: s.kubeconfig })]),
    );
  }

  static async start(spokes: number, heartbeatTimeoutMs: number): Promise<FleetWorld> {
    const temp = tempDirs();
    const state = await temp.make('ballast-fleet-e2e-');
    const server = await startGitServer({
      auth: { users: [], tokens: [] },
      allowPush: true,
      ssh: false,
    });
    await createBareRepo(server, 'apps');
    const repo = await WorkingClone.clone({
      url: server.httpUrl('apps'),
      access: { kind: 'anonymous' },
    });
    const gpg = await createGpgSigner();
    const keys = join(await temp.make('ballast-fleet-keys-'), 'release.asc');
    await writeFile(keys, gpg.publicKeyArmored);
    const options: FleetOptions = {
      ...defaultFleetOptions(state),
      spokes,
      trustedKeysFile: keys,
      // The agents fetch only from the test's Git server: `ballast agent --allowed-repos`.
      allowedRepos: [server.httpUrl('apps')],
      heartbeatTimeoutMs,
    };
    try {
      const fleet = await devFleet(options);
      const world = new FleetWorld(state, options, fleet, server, repo, gpg, temp);
      await world.hub.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: appNamespace },
      });
      return world;
    } catch (e) {
      // Whatever came up (control plane, hub, agents) goes, so a failed start leaks nothing.
      await devDown(state).catch(() => undefined);
      await Promise.allSettled([repo.remove(), server.stop(), gpg.remove()]);
      await temp.removeAll();
      throw e;
    }
  }

  get repoURL(): string {
    return this.server.httpUrl('apps');
  }

  spoke(name: string): Cluster {
    const c = this.spokes.get(name);
    if (c === undefined) throw new Error(`no spoke ${name}`);
    return c;
  }

  /** Writes the files, commits (signed unless told), pushes and tells the hub; the new SHA. */
  async commit(
    files: Record<string, string>,
    message: string,
    opts: { signed?: boolean; notify?: boolean } = {},
  ): Promise<string> {
    for (const [path, text] of Object.entries(files)) await this.repo.writeFile(path, text);
    const sha = await this.repo.commit(message, opts.signed === false ? {} : { signer: this.gpg });
    await this.repo.push();
    if (opts.notify !== false) await notifyHub(this.fleet.hub.webhook, this.repoURL);
    return sha;
  }

  /** A FleetApplication in the tests' namespace with this template path and placement. */
  async fleetApp(
    name: string,
    path: string,
    placement: object,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.hub.apply({
      apiVersion: api,
      kind: 'FleetApplication',
      metadata: { name, namespace: appNamespace },
      spec: {
        template: {
          source: { repoURL: this.repoURL, targetRevision: 'main', path },
          destination: { namespace: name },
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            interval: '10s',
            syncOptions: { createNamespace: true },
          },
          ...extra,
        },
        placement,
      },
    });
  }

  async deleteFleetApp(name: string): Promise<void> {
    await this.hub.delete({
      apiVersion: api,
      group: 'ballast.dev',
      kind: 'FleetApplication',
      namespace: appNamespace,
      name,
    });
  }

  async fleetAppOf(name: string): Promise<FleetApplication | undefined> {
    return (await this.hub.get({
      apiVersion: api,
      kind: 'FleetApplication',
      metadata: { name, namespace: appNamespace },
    })) as FleetApplication | undefined;
  }

  async assignment(cluster: string, app: string): Promise<Assignment | undefined> {
    return (await this.hub.get({
      apiVersion: api,
      kind: 'Assignment',
      metadata: { name: `${appNamespace}.${app}`, namespace: clusterNamespace(cluster) },
    })) as Assignment | undefined;
  }

  /** Synced and Healthy at `sha`, as the agent reported it for the current spec. */
  async syncedAt(cluster: string, app: string, sha: string): Promise<boolean> {
    return healthyAt(await this.assignment(cluster, app), sha);
  }

  async clusterOf(name: string): Promise<FleetCluster | undefined> {
    return (await this.hub.get({
      apiVersion: api,
      kind: 'Cluster',
      metadata: { name, namespace: 'ballast-fleet' },
    })) as FleetCluster | undefined;
  }

  /** Merge-patches a Cluster's labels (null removes one), as a person with kubectl would. */
  async label(cluster: string, labels: Record<string, string | null>): Promise<void> {
    const r = await this.hub.http.request(
      'PATCH',
      `/apis/${api}/namespaces/ballast-fleet/clusters/${cluster}`,
      JSON.stringify({ metadata: { labels } }),
      { 'content-type': 'application/merge-patch+json' },
    );
    if (r.status !== 200) throw new Error(`labelling ${cluster}: ${r.status} ${r.body}`);
  }

  /** A ConfigMap's data on a spoke, or undefined when it is not there. */
  async configMap(
    spoke: string,
    namespace: string,
    name: string,
  ): Promise<Record<string, string> | undefined> {
    const o = await this.spoke(spoke).get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace },
    });
    return o?.['data'] as Record<string, string> | undefined;
  }

  async spokeObject(spoke: string, obj: KubeObject): Promise<KubeObject | undefined> {
    return this.spoke(spoke).get(obj);
  }

  /** The daemon of `role` recorded among `devCluster`'s in state.json. */
  async daemon(devCluster: string, role: string): Promise<DaemonRecord> {
    const found = await readState(this.state);
    if (found.kind !== 'found') throw new Error(`${this.state}: no state`);
    const d = found.state.clusters
      .find((c) => c.name === devCluster)
      ?.daemons.find((x) => x.role === role);
    if (d === undefined) throw new Error(`no ${role} on ${devCluster}`);
    return d;
  }

  /** A daemon's JSON log lines. */
  async logLines(devCluster: string, role: string): Promise<Record<string, unknown>[]> {
    const text = await readFile((await this.daemon(devCluster, role)).log, 'utf8');
    return text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /**
   * Stops a `ballast hub` or `ballast agent` daemon; `start` runs it again with its command
   * line as it was (read from /proc), `replace` swapping flag values, and records the new pid.
   */
  async stopDaemon(
    devCluster: string,
    role: string,
  ): Promise<{ start(replace?: Record<string, string>): Promise<DaemonRecord> }> {
    const old = await this.daemon(devCluster, role);
    const [, ...args] = readFileSync(`/proc/${old.pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
    await stopDaemon(old, 10_000);
    return {
      start: async (replace = {}) => {
        const argv = args.map((a, i) => {
          const flag = args[i - 1];
          return flag !== undefined && flag in replace ? (replace[flag] as string) : a;
        });
        const d = startDaemon(role, old.binary, argv, old.log);
        const found = await readState(this.state);
        if (found.kind !== 'found') throw new Error(`${this.state}: no state`);
        for (const c of found.state.clusters)
          c.daemons = c.daemons.map((x) => (x.pid === old.pid ? d : x));
        await writeState(this.state, found.state);
        return d;
      },
    };
  }

  async close(): Promise<void> {
    try {
      this.hub.close();
      for (const c of this.spokes.values()) c.close();
      await devDown(this.state);
      await this.repo.remove();
      await this.server.stop();
      await this.gpg.remove();
    } finally {
      await this.temp.removeAll();
    }
  }
}

/** Synced and Healthy at `sha` for the Assignment's current spec, as its agent reported. */
export function healthyAt(a: Assignment | undefined, sha: string): boolean {
  const s = a?.status;
  return (
    a !== undefined &&
    s !== undefined &&
    a.spec.revision === sha &&
    s.observedGeneration === a.metadata.generation &&
    s.sync?.status === 'Synced' &&
    s.sync.revision === sha &&
    s.health?.status === 'Healthy'
  );
}
