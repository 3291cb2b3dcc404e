import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { createGpgSigner, type GpgSigner } from '../../src/dev/git/signing.js';
import { startAgent, type RunningAgent } from '../../src/fleet/agent/index.js';
import type { Assignment } from '../../src/fleet/assignment.js';
import { fleetCrds } from '../../src/fleet/crds.js';
import { removeTree } from '../../src/fs/remove.js';
import { createLogger } from '../../src/reconcile/log.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { eventually } from '../support/kube.js';
import { clusterFor } from '../support/sync.js';

/** One HTTP request the attacker's server received, with the Authorization header it carried. */
interface Received {
  url: string;
  authorization: string | undefined;
}

/**
 * A server the compromised hub controls: it records every request, and the credentials in it,
 * and asks for credentials as a Git forge would.
 */
async function startAttacker(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    received.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/apps.git`, received };
}

const name = `repos-${randomBytes(3).toString('hex')}`;
const hubNs = `ballast-cluster-${name}`;
const agentNs = `agent-${randomBytes(3).toString('hex')}`;
const dest = `${agentNs}-dest`;
const token = `tok_${randomBytes(12).toString('hex')}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let hub: Cluster;
let spoke: Cluster;
let server: GitServer;
let attacker: Awaited<ReturnType<typeof startAttacker>>;
let repo: WorkingClone;
let gpg: GpgSigner;
let agent: RunningAgent;
let cache: string;
let sha = '';

/** The Assignment as the hub writes it, fetching `repoURL` with the spoke's `repo-creds`. */
const assignment = (repoURL: string): KubeObject => ({
  apiVersion: 'ballast.dev/v1alpha1',
  kind: 'Assignment',
  metadata: { name: 'retail.pos', namespace: hubNs },
  spec: {
    fleetApplication: { namespace: 'retail', name: 'pos' },
    cluster: name,
    revision: sha,
    application: {
      source: {
        repoURL,
        targetRevision: sha,
        path: 'pos',
        secretRef: { name: 'repo-creds' },
        insecureAllowHttpCredentials: true,
      },
      destination: { namespace: dest },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        interval: '1h',
        syncOptions: { createNamespace: true },
      },
    },
    variables: { cluster_name: name },
  },
});

const getAssignment = async (): Promise<Assignment | undefined> =>
  (await hub.get({
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Assignment',
    metadata: { name: 'retail.pos', namespace: hubNs },
  })) as Assignment | undefined;

const ready = async () =>
  (await getAssignment())?.status?.conditions?.find((c) => c.type === 'Ready');

beforeAll(async () => {
  const [hubInfo, spokeInfo] = inject('controlPlane').clusters;
  if (hubInfo === undefined || spokeInfo === undefined)
    throw new Error('needs two clusters: BALLAST_TEST_CLUSTERS=2');
  hub = clusterFor(hubInfo.kubeconfig);
  spoke = clusterFor(spokeInfo.kubeconfig);
  const crds = await Promise.all(fleetCrds().map((c) => hub.apply(c)));
  await waitForCrds(hub, crds, 30_000);
  await waitForCrds(spoke, [await spoke.apply(applicationCrd())], 30_000);
  await hub.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: hubNs } });

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
  await repo.writeFile(
    'pos/cm.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {value: v1}\n',
  );
  sha = await repo.commit('v1', { signer: gpg });
  await repo.push();
  attacker = await startAttacker();

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
  cache = await mkdtemp(join(tmpdir(), 'ballast-agent-repos-'));
  agent = await startAgent(
    {
      spoke,
      hub,
      source: new GitSource(defaultSourceOptions(join(cache, 'source'))),
      logger: createLogger({ level: 'silent' }),
    },
    {
      clusterName: name,
      namespace: agentNs,
      verification: { mode: 'head', secretName: 'trusted-keys' },
      allowedRepos: [server.httpUrl('apps')],
      heartbeatTimeoutMs: 3_000,
      heartbeatIntervalMs: 1_000,
    },
  );
});

afterAll(async () => {
  await agent.stop();
  await hub.delete({ apiVersion: 'v1', group: '', kind: 'Namespace', namespace: '', name: hubNs });
  for (const ns of [agentNs, dest])
    await spoke.delete({ apiVersion: 'v1', group: '', kind: 'Namespace', namespace: '', name: ns });
  for (const c of [hub, spoke]) c.close();
  await new Promise((resolve) => attacker.server.close(resolve));
  await repo.remove();
  await server.stop();
  await gpg.remove();
  await removeTree(cache);
});

describe("a compromised hub and the spoke's Git credentials", () => {
  it("a hub that re-points an Assignment at its own server, keeping the spoke's secretRef, gets not one request there: RepositoryNotAllowed on the Assignment", async () => {
    await hub.apply(assignment(server.httpUrl('apps')));
    await eventually('the allowed repository syncs with the credentials', 90_000, async () => {
      const s = (await getAssignment())?.status;
      return s?.sync?.status === 'Synced' && s.sync.revision === sha;
    });

    await hub.apply(assignment(attacker.url));
    const edited = (await getAssignment())?.metadata.generation;
    // Either outcome ends the wait: the refusal (fixed), or a request at the attacker (the leak).
    await eventually('the agent refuses the edit, or the attacker is reached', 60_000, async () => {
      const r = await ready();
      return (
        attacker.received.length > 0 ||
        (r?.reason === 'RepositoryNotAllowed' && r.observedGeneration === edited)
      );
    });
    expect(attacker.received).toEqual([]);
    const r = await ready();
    expect(r).toMatchObject({ status: 'False', reason: 'RepositoryNotAllowed' });
    expect(r?.message).toContain(
      `spec.application.source.repoURL ${attacker.url} is under none of`,
    );
    expect(r?.message).toContain('--allowed-repos');
    expect(r?.message).not.toContain(token);
    // The spoke keeps the last allowed Application: nothing on it names the attacker's URL.
    const app = await spoke.get({
      apiVersion: 'ballast.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'retail.pos', namespace: agentNs },
    });
    expect((app?.['spec'] as { source: { repoURL: string } }).source.repoURL).toBe(
      server.httpUrl('apps'),
    );
    expect(attacker.received).toEqual([]);
  });
});
