import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applicationCrd } from '../src/api/application-crd.js';
import type { KubeObject } from '../src/api/object.js';
import { waitForCrds } from '../src/apply/execute.js';
import { Cluster } from '../src/cluster/cluster.js';
import { defaultUpOptions, devDown, devUp } from '../src/dev/controlplane.js';
import { defaultFleetOptions, devFleet, type DevFleet } from '../src/dev/fleet.js';
import { createGpgSigner, WorkingClone, type GpgSigner } from '../src/dev/git/index.js';
import { readState, type DevState } from '../src/dev/state.js';
import { agentManifests } from '../src/fleet/agent/index.js';
import type { Cluster as FleetCluster } from '../src/fleet/cluster.js';
import { defaultFleetNamespace } from '../src/fleet/names.js';
import { createRegistrationToken } from '../src/fleet/registration/index.js';
import { startAgentHost, type AgentHost, type AgentSpec, type HostConfig } from './fleet-agents.js';
import { startGitHost, type GitHost } from './fleet-git.js';
import { sleep } from './timing.js';

/** The knobs, from BALLAST_BENCH_* (see README). */
export interface Layout {
  clusters: number;
  spokes: number;
  agentsPerProcess: number;
  /** Pods per cluster of the largest app: decides the kwok nodes per spoke (110 Pods each). */
  podsPerCluster: number;
}

export const trustedKeysSecret = 'ballast-trusted-keys';
export const decryptionSecret = 'bench-sops-keys';
/** The hub namespace of the bench's FleetApplication. */
export const appNamespace = 'bench';

export const clusterName = (i: number): string => `bench-${String(i).padStart(4, '0')}`;

/** One spoke apiserver and the namespaces (one per agent) it holds. */
export interface BenchSpoke {
  devCluster: string;
  admin: Cluster;
  server: string;
  caPem: string;
  clusters: string[];
}

/** Everything bench:fleet runs; close() stops it all. */
export interface FleetBench {
  layout: Layout;
  state: DevState;
  stateDir: string;
  hub: Cluster;
  fleet: DevFleet;
  spokes: BenchSpoke[];
  git: GitHost;
  repo: WorkingClone;
  gpg: GpgSigner;
  hosts: AgentHost[];
  /** A host process with no agent: the RSS of Node and the agent library loaded. */
  idleHost: AgentHost;
  clusterNames: string[];
  close(): Promise<void>;
}

const out = (line: string): void => {
  process.stdout.write(`  ${line}\n`);
};

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async (): Promise<void> => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
  };
  await Promise.all(Array.from({ length: n }, worker));
}

/** The namespace of one agent on its spoke, with what `ballast agent --namespace` needs there. */
async function prepareNamespace(
  spoke: BenchSpoke,
  ns: string,
  keys: { trusted: string; ageKey: string },
): Promise<string> {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    ...agentManifests({ scope: 'namespace', namespace: ns }),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: trustedKeysSecret, namespace: ns },
      data: { 'release.asc': Buffer.from(keys.trusted).toString('base64') },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: decryptionSecret, namespace: ns },
      data: { 'bench.agekey': Buffer.from(keys.ageKey).toString('base64') },
    },
  ];
  for (const o of objects) await spoke.admin.apply(o);
  const r = await spoke.admin.http.request(
    'POST',
    `/api/v1/namespaces/${ns}/serviceaccounts/ballast-agent/token`,
    JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 24 * 3600 },
    }),
    { 'content-type': 'application/json' },
  );
  if (r.status !== 201) throw new Error(`token of ${ns}/ballast-agent: ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { status: { token: string } }).status.token;
}

async function readyClusters(hub: Cluster): Promise<number> {
  const r = await hub.http.request(
    'GET',
    `/apis/ballast.dev/v1alpha1/namespaces/${defaultFleetNamespace}/clusters`,
  );
  if (r.status !== 200) return 0;
  const items = (JSON.parse(r.body) as { items: FleetCluster[] }).items;
  return items.filter((c) => c.status?.conditions?.some((x) => x.status === 'True')).length;
}

async function startSpokes(
  state: DevState,
  stateDir: string,
  layout: Layout,
): Promise<BenchSpoke[]> {
  const spokes: BenchSpoke[] = state.clusters.slice(1).map((c) => ({
    devCluster: c.name,
    admin: Cluster.connect({ kubeconfig: c.kubeconfig }),
    server: `https://127.0.0.1:${c.port}`,
    caPem: '',
    clusters: [],
  }));
  for (const s of spokes) {
    s.caPem = await readFile(join(stateDir, s.devCluster, 'pki', 'ca.crt'), 'utf8');
    await waitForCrds(s.admin, [await s.admin.apply(applicationCrd())], 60_000);
  }
  for (let i = 0; i < layout.clusters; i++)
    spokes[i % spokes.length]?.clusters.push(clusterName(i));
  return spokes;
}

/** Every agent's spec: its spoke namespace prepared, its ServiceAccount token issued. */
async function agentSpecs(
  spokes: readonly BenchSpoke[],
  stateDir: string,
  keys: { trusted: string; ageKey: string },
): Promise<Map<string, AgentSpec>> {
  const specs = new Map<string, AgentSpec>();
  const jobs = spokes.flatMap((s) => s.clusters.map((name) => ({ s, name })));
  await pool(jobs, 16, async ({ s, name }) => {
    const token = await prepareNamespace(s, name, keys);
    const dir = join(stateDir, 'agents', name);
    await mkdir(dir, { recursive: true });
    specs.set(name, {
      clusterName: name,
      namespace: name,
      spokeServer: s.server,
      spokeCaPem: s.caPem,
      spokeToken: token,
      cacheDir: join(dir, 'cache'),
      ledger: `sqlite:${join(dir, 'audit.db')}`,
    });
  });
  return specs;
}

async function startHosts(
  b: Pick<FleetBench, 'layout' | 'stateDir' | 'hub' | 'fleet' | 'git' | 'clusterNames'>,
  specs: ReadonlyMap<string, AgentSpec>,
): Promise<{ hosts: AgentHost[]; idleHost: AgentHost }> {
  const token = await createRegistrationToken(b.hub, { ttlSeconds: 4 * 3600 });
  const base: Omit<HostConfig, 'agents'> = {
    hubUrl: b.fleet.hub.server,
    hubCaPem: await readFile(join(b.stateDir, 'cluster-1', 'pki', 'ca.crt'), 'utf8'),
    registrationToken: token.token,
    allowedRepo: b.git.url,
    trustedKeysSecret,
    heartbeatTimeoutMs: 60_000,
    startConcurrency: 8,
  };
  const idleHost = await startAgentHost(
    { ...base, agents: [] },
    join(b.stateDir, 'agents-idle.log'),
    () => undefined,
  );
  const all = b.clusterNames.map((n) => specs.get(n) as AgentSpec);
  const per = b.layout.agentsPerProcess;
  let started = 0;
  const t0 = performance.now();
  const hosts = await Promise.all(
    Array.from({ length: Math.ceil(all.length / per) }, (_, p) =>
      startAgentHost(
        { ...base, agents: all.slice(p * per, (p + 1) * per) },
        join(b.stateDir, `agents-${p + 1}.log`),
        () => {
          started++;
          if (started % 50 === 0 || started === all.length)
            out(
              `${started}/${all.length} agents registered and started (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
            );
        },
      ),
    ),
  );
  await Promise.all(hosts.map((h) => h.started));
  return { hosts, idleHost };
}

/**
 * A hub (cluster-1 with `ballast hub` from `ballast dev fleet`) and `spokes` spoke apiservers
 * on one etcd (own prefixes), the Git server in its own process, and `clusters` agents in
 * namespace mode spread over the spokes round-robin and over host processes in blocks.
 */
export async function startFleetBench(layout: Layout, ageKey: string): Promise<FleetBench> {
  const stateDir = await mkdtemp(join(tmpdir(), 'ballast-bench-fleet-'));
  const perSpoke = Math.ceil(layout.clusters / layout.spokes);
  const nodes = Math.max(1, Math.ceil((perSpoke * layout.podsPerCluster) / 100));
  const cleanup: (() => Promise<unknown>)[] = [
    () => rm(stateDir, { recursive: true, force: true }),
  ];
  const close = async (): Promise<void> => {
    for (const f of cleanup.reverse()) await f().catch(() => undefined);
  };
  try {
    cleanup.push(() => devDown(stateDir));
    await devUp({
      ...defaultUpOptions(stateDir),
      clusters: layout.spokes + 1,
      nodesPerCluster: nodes,
    });
    const git = await startGitHost();
    cleanup.push(() => git.stop());
    const repo = await WorkingClone.clone({ url: git.url, access: { kind: 'anonymous' } });
    cleanup.push(() => repo.remove());
    const gpg = await createGpgSigner();
    cleanup.push(() => gpg.remove());
    const fleet = await devFleet({ ...defaultFleetOptions(stateDir), spokes: 0 });
    const hub = Cluster.connect({ kubeconfig: fleet.hub.kubeconfig });
    cleanup.push(() => {
      hub.close();
      return Promise.resolve();
    });
    await hub.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: appNamespace } });
    const found = await readState(stateDir);
    if (found.kind !== 'found') throw new Error(`${stateDir}: no control plane`);
    const spokes = await startSpokes(found.state, stateDir, layout);
    cleanup.push(() => {
      for (const s of spokes) s.admin.close();
      return Promise.resolve();
    });
    out(
      `control plane: hub + ${spokes.length} spoke apiservers on one etcd, ${nodes} kwok node(s) each`,
    );
    return await populate(
      layout,
      { stateDir, state: found.state, fleet, hub, spokes, git, repo, gpg },
      ageKey,
      cleanup,
      close,
    );
  } catch (e) {
    await close();
    throw e;
  }
}

async function populate(
  layout: Layout,
  parts: Omit<FleetBench, 'layout' | 'hosts' | 'idleHost' | 'clusterNames' | 'close'>,
  ageKey: string,
  cleanup: (() => Promise<unknown>)[],
  close: () => Promise<void>,
): Promise<FleetBench> {
  const clusterNames = Array.from({ length: layout.clusters }, (_, i) => clusterName(i));
  let t0 = performance.now();
  const specs = await agentSpecs(parts.spokes, parts.stateDir, {
    trusted: parts.gpg.publicKeyArmored,
    ageKey,
  });
  out(
    `${specs.size} spoke namespaces prepared (agent Role, keys, ServiceAccount token) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  t0 = performance.now();
  const started = await startHosts({ ...parts, layout, clusterNames }, specs);
  cleanup.push(() => started.idleHost.stop());
  for (const h of started.hosts) cleanup.push(() => h.stop());
  for (;;) {
    const ready = await readyClusters(parts.hub);
    if (ready === layout.clusters) break;
    if (performance.now() - t0 > 600_000)
      throw new Error(`only ${ready} of ${layout.clusters} Clusters Ready after 10 minutes`);
    await sleep(1_000);
  }
  out(
    `${layout.clusters} Clusters registered (token, own key and CSR each) and Ready on the hub in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { ...parts, layout, clusterNames, ...started, close };
}
