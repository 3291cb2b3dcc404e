import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { Application } from '../../src/api/application.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { createGpgSigner, type GpgSigner } from '../../src/dev/git/signing.js';
import { toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { startAgent, type RunningAgent } from '../../src/fleet/agent/index.js';
import type { Assignment } from '../../src/fleet/assignment.js';
import { fleetCrds } from '../../src/fleet/crds.js';
import { removeTree } from '../../src/fs/remove.js';
import { createLogger } from '../../src/reconcile/log.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { eventually } from '../support/kube.js';
import { clusterFor } from '../support/sync.js';
import { webApp } from '../support/fleet-app.js';

/** A TCP relay to the hub apiserver that the test can cut and restore, as a network would. */
class HubRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Refuses new connections and drops the open ones. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
    this.server = undefined;
  }
}

const name = `agent-${randomBytes(3).toString('hex')}`;
const hubNs = `ballast-cluster-${name}`;
const fleetNs = 'ballast-fleet';
const agentNs = `agent-${randomBytes(3).toString('hex')}`;
const dest = `${agentNs}-dest`;
const token = `tok_${randomBytes(12).toString('hex')}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let hub: Cluster;
let spoke: Cluster;
let agentHub: Cluster;
let relay: HubRelay;
let server: GitServer;
let repo: WorkingClone;
let gpg: GpgSigner;
let agent: RunningAgent;
let cache: string;
let spokeKubeconfig: string;
const logs: { msg: string; level: string }[] = [];
const shas: Record<string, string> = {};
/** What the agent's Controller handed its audit ledger. */
const audited: object[] = [];

const manifests = (value: string): string =>
  webApp({ value, region: '${region}', cluster: '${cluster_name}' });

/** An Assignment as the hub controller would write it, pinned to `sha`. */
function assignment(
  assignmentName: string,
  sha: string,
  verification: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Assignment',
    metadata: { name: assignmentName, namespace: hubNs },
    spec: {
      fleetApplication: { namespace: 'retail', name: assignmentName.split('.')[1] ?? '' },
      cluster: name,
      revision: sha,
      application: {
        source: {
          repoURL: server.httpUrl('apps'),
          targetRevision: sha,
          path: assignmentName === 'retail.pos' ? 'pos' : 'other',
          secretRef: { name: 'repo-creds' },
          insecureAllowHttpCredentials: true,
        },
        destination: { namespace: dest },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          interval: '1h',
          syncOptions: { createNamespace: true },
        },
        verification,
      },
      variables: { cluster_name: name, region: 'eu-west' },
    },
  };
}

const getAssignment = async (n = 'retail.pos'): Promise<Assignment | undefined> =>
  (await hub.get({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Assignment',
    metadata: { name: n, namespace: hubNs },
  })) as Assignment | undefined;

const spokeGet = (apiVersion: string, kind: string, n: string, ns = dest) =>
  spoke.get({ apiVersion, kind, metadata: { name: n, namespace: ns } });

const settings = async (): Promise<Record<string, string> | undefined> =>
  (await spokeGet('v1', 'ConfigMap', 'settings'))?.['data'] as Record<string, string> | undefined;

const replicas = async (): Promise<unknown> =>
  ((await spokeGet('apps/v1', 'Deployment', 'web'))?.['spec'] as { replicas?: number } | undefined)
    ?.replicas;

async function kubectl(...args: string[]): Promise<void> {
  const r = await run(toolPath('kubectl'), args, {
    env: { KUBECONFIG: spokeKubeconfig },
    timeoutMs: 60_000,
  });
  if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${JSON.stringify(r)}`);
}

const logged = (msg: string): number => logs.filter((l) => l.msg.startsWith(msg)).length;

async function commit(key: string, path: string, value: string, signed: boolean): Promise<void> {
  await repo.writeFile(`${path}/all.yaml`, manifests(value));
  shas[key] = await repo.commit(key, signed ? { signer: gpg } : {});
  await repo.push();
}

/** An agent on the spoke reaching the hub through the relay; its lines go to `logs`. */
function startTestAgent(): Promise<RunningAgent> {
  const logger = createLogger({
    level: 'info',
    destination: {
      write: (line: string) => {
        const { msg, level } = JSON.parse(line) as { msg: string; level: string };
        logs.push({ msg, level });
      },
    },
  });
  return startAgent(
    {
      spoke,
      hub: agentHub,
      source: new GitSource(defaultSourceOptions(join(cache, 'source'))),
      logger,
      audit: (entry) => {
        audited.push(entry);
        return Promise.resolve();
      },
    },
    {
      clusterName: name,
      namespace: agentNs,
      verification: { mode: 'head', secretName: 'trusted-keys' },
      allowedRepos: [server.httpUrl('apps')],
      heartbeatTimeoutMs: 3_000,
      heartbeatIntervalMs: 1_000,
      backoffInitialMs: 200,
      backoffMaxMs: 2_000,
      agentVersion: 'test-version',
    },
  );
}

beforeAll(async () => {
  const cp = inject('controlPlane');
  const [hubInfo, spokeInfo] = cp.clusters;
  if (hubInfo === undefined || spokeInfo === undefined)
    throw new Error('needs two clusters: BALLAST_TEST_CLUSTERS=2');
  spokeKubeconfig = spokeInfo.kubeconfig;
  hub = clusterFor(hubInfo.kubeconfig);
  spoke = clusterFor(spokeInfo.kubeconfig);
  const crds = await Promise.all(fleetCrds().map((c) => hub.apply(c)));
  await waitForCrds(hub, crds, 30_000);
  await waitForCrds(spoke, [await spoke.apply(applicationCrd())], 30_000);
  for (const ns of [fleetNs, hubNs])
    await hub.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await hub.apply({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name, namespace: fleetNs, labels: { region: 'eu-west' } },
  });

  server = await startGitServer({
    auth: { users: [], tokens: [token] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'apps');
  repo = await WorkingClone.clone({
    url: server.httpUrl('apps'),
    access: { kind: 'bearer', token },
  });
  gpg = await createGpgSigner();
  await commit('v1', 'pos', 'v1', true);
  await commit('other', 'other', 'other', true);

  await spoke.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: agentNs } });
  await spoke.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-creds', namespace: agentNs },
    data: { token: b64(token) },
  });
  await spoke.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'trusted-keys', namespace: agentNs },
    data: { 'release.asc': b64(gpg.publicKeyArmored) },
  });

  // The agent reaches the hub through a relay the test can cut.
  relay = new HubRelay(hubInfo.port);
  await relay.open();
  const config = parse(await readFile(hubInfo.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of config.clusters) c.cluster.server = `https://127.0.0.1:${relay.port}`;
  cache = await mkdtemp(join(tmpdir(), 'ballast-agent-'));
  const relayed = join(cache, 'hub-kubeconfig');
  await writeFile(relayed, stringify(config));
  agentHub = Cluster.connect({ kubeconfig: relayed, requestTimeoutMs: 3_000 });

  agent = await startTestAgent();
});

afterAll(async () => {
  await agent.stop();
  await relay.close();
  for (const ns of [hubNs])
    await hub.delete({ apiVersion: 'v1', group: '', kind: 'Namespace', namespace: '', name: ns });
  for (const ns of [agentNs, dest])
    await spoke.delete({ apiVersion: 'v1', group: '', kind: 'Namespace', namespace: '', name: ns });
  await hub.delete({
    apiVersion: 'ballast.dev/v1alpha1',
    group: 'ballast.dev',
    kind: 'Cluster',
    namespace: fleetNs,
    name,
  });
  for (const c of [hub, spoke, agentHub]) c.close();
  await repo.remove();
  await server.stop();
  await gpg.remove();
  await removeTree(cache);
});

const statusIs = async (sha: string): Promise<boolean> => {
  const s = (await getAssignment())?.status;
  return (
    s?.sync?.status === 'Synced' &&
    s.sync.revision === sha &&
    s.health?.status === 'Healthy' &&
    s.lastSyncedRevision === sha
  );
};

describe('ballast agent on a spoke, with a hub on another apiserver', () => {
  it("applies an Assignment pinned to a signed commit with the cluster's variables, and reports Synced and Healthy at that revision on the hub", async () => {
    await hub.apply(assignment('retail.pos', shas['v1'] ?? ''));
    await eventually('the Assignment reports v1 Synced and Healthy', 90_000, () =>
      statusIs(shas['v1'] ?? ''),
    );
    expect(await settings()).toEqual({ value: 'v1', region: 'eu-west', cluster: name });
    const a = await getAssignment();
    expect(a?.status?.observedGeneration).toBe(a?.metadata.generation);
    expect(a?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const c = await hub.get({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, namespace: fleetNs },
    });
    expect(c?.['status']).toMatchObject({
      agentVersion: 'test-version',
      kubernetesVersion: expect.stringMatching(/^v1\.\d+/) as unknown,
    });
    const lease = await hub.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ballast-agent', namespace: hubNs },
    });
    expect(lease?.['spec']).toMatchObject({ holderIdentity: `ballast-agent/${name}` });
  });

  it('reverts a kubectl scale on the spoke', async () => {
    await kubectl('-n', dest, 'scale', 'deployment/web', '--replicas=4');
    await eventually('replicas are back to 1', 10_000, async () => (await replicas()) === 1);
  });

  it('refuses an Assignment edited by hand to an unsigned commit, even with its template saying verification none: the spoke is unchanged and the hub shows UnsignedCommit', async () => {
    await commit('unsigned', 'pos', 'unsigned', false);
    await hub.apply(
      assignment('retail.pos', shas['unsigned'] ?? '', { mode: 'none', fastForwardOnly: false }),
    );
    await eventually('the refusal reaches the Assignment', 60_000, async () => {
      return (await getAssignment())?.status?.refusal?.reason === 'UnsignedCommit';
    });
    const s = (await getAssignment())?.status;
    expect(s?.refusal?.revision).toBe(shas['unsigned']);
    expect(s?.refusal?.message).toContain((shas['unsigned'] ?? '').slice(0, 12));
    expect(s?.lastSyncedRevision).toBe(shas['v1']);
    expect((await settings())?.['value']).toBe('v1');
    expect(audited).toContainEqual(
      expect.objectContaining({ kind: 'commit-refused', revision: shas['unsigned'] }),
    );
  });

  it('refuses an older signed commit as NotDescendant once a newer one is applied', async () => {
    await commit('v2', 'pos', 'v2', true);
    await hub.apply(assignment('retail.pos', shas['v2'] ?? ''));
    await eventually('v2 is applied and reported', 60_000, () => statusIs(shas['v2'] ?? ''));
    expect((await getAssignment())?.status?.refusal).toBeUndefined();
    await hub.apply(assignment('retail.pos', shas['v1'] ?? ''));
    await eventually('the replay is refused as NotDescendant', 60_000, async () => {
      return (await getAssignment())?.status?.refusal?.reason === 'NotDescendant';
    });
    expect((await settings())?.['value']).toBe('v2');
    const app = (await spokeGet('ballast.dev/v1alpha1', 'Application', 'retail.pos', agentNs)) as
      Application | undefined;
    expect(app?.spec.verification).toEqual({
      mode: 'head',
      secretRef: { name: 'trusted-keys' },
      fastForwardOnly: true,
    });
  });

  it('keeps healing while the hub is unreachable, across a restart too, logs one line each way, then applies the commit pinned meanwhile and reports every status', async () => {
    // Back on the last good commit first: a restarted Controller heals only what it can
    // render, and a refused pin is not that.
    await hub.apply(assignment('retail.pos', shas['v2'] ?? ''));
    await eventually('v2 is reported again, the refusal cleared', 60_000, async () => {
      return (
        (await statusIs(shas['v2'] ?? '')) && (await getAssignment())?.status?.refusal === undefined
      );
    });
    await commit('v3', 'pos', 'v3', true);
    await relay.close();
    await eventually('the agent notices', 10_000, () => Promise.resolve(!agent.hubReachable()));
    // Meanwhile on the hub: a new pin, and a status the agent must put right again.
    await hub.apply(assignment('retail.pos', shas['v3'] ?? ''));
    await hub.http.request(
      'PATCH',
      `/apis/ballast.dev/v1alpha1/namespaces/${hubNs}/assignments/retail.pos/status`,
      JSON.stringify({ status: { sync: { status: 'Unknown' }, refusal: null } }),
      { 'content-type': 'application/merge-patch+json' },
    );
    await kubectl('-n', dest, 'scale', 'deployment/web', '--replicas=4');
    await eventually(
      'drift is healed without the hub',
      10_000,
      async () => (await replicas()) === 1,
    );
    // Several heartbeats go by unanswered: still one line, no tight loop of them.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await settings())?.['value']).toBe('v2');
    expect(logged('lost the hub')).toBe(1);

    // An agent restarted during the partition heals from the Applications on the spoke.
    await agent.stop();
    logs.length = 0;
    agent = await startTestAgent();
    expect(agent.hubReachable()).toBe(false);
    await kubectl('-n', dest, 'scale', 'deployment/web', '--replicas=4');
    await eventually(
      'drift is healed by the restarted agent without the hub',
      10_000,
      async () => (await replicas()) === 1,
    );

    await relay.open();
    await eventually('v3 is applied and reported after the hub is back', 60_000, () =>
      statusIs(shas['v3'] ?? ''),
    );
    expect((await settings())?.['value']).toBe('v3');
    expect(logged('lost the hub')).toBe(1);
    expect(logged('regained the hub')).toBe(1);
  });

  it('deletes the Application of a deleted Assignment, and its finalizer prunes what it applied', async () => {
    await hub.delete({
      apiVersion: 'ballast.dev/v1alpha1',
      group: 'ballast.dev',
      kind: 'Assignment',
      namespace: hubNs,
      name: 'retail.pos',
    });
    await eventually('the objects are pruned from the spoke', 60_000, async () => {
      return (
        (await settings()) === undefined &&
        (await spokeGet('ballast.dev/v1alpha1', 'Application', 'retail.pos', agentNs)) === undefined
      );
    });
  });

  it('stops reconciling with one clear log line when the hub namespace is deleted, leaving Applications and workloads running, though its Assignments vanish first', async () => {
    await hub.apply(assignment('retail.other', shas['other'] ?? ''));
    await eventually('the other app is applied', 60_000, async () => {
      return (await settings())?.['value'] === 'other';
    });
    // The Lease outlives the Assignments (held by a finalizer, as any slow deletion could),
    // so it still renews while the namespace empties: the Assignments vanish as if deleted.
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${hubNs}/leases/ballast-agent`;
    const hold = (finalizers: string[]) =>
      hub.http.request('PATCH', leasePath, JSON.stringify({ metadata: { finalizers } }), {
        'content-type': 'application/merge-patch+json',
      });
    expect((await hold(['test.ballast.dev/hold'])).status).toBe(200);
    await hub.delete({
      apiVersion: 'v1',
      group: '',
      kind: 'Namespace',
      namespace: '',
      name: hubNs,
    });
    const end = await Promise.race([
      agent.done,
      new Promise<{ kind: 'still running' }>((resolve) => {
        setTimeout(() => {
          resolve({ kind: 'still running' });
        }, 60_000);
      }),
    ]);
    await hold([]);
    expect(end.kind).toBe('deregistered');
    expect(logged('the hub refused this cluster')).toBe(1);
    expect(logs.find((l) => l.msg.startsWith('the hub refused'))?.level).toBe('error');
    expect((await settings())?.['value']).toBe('other');
    expect(
      await spokeGet('ballast.dev/v1alpha1', 'Application', 'retail.other', agentNs),
    ).toBeDefined();
  });
});
