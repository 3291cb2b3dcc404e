import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { agentManifests, startAgent, type RunningAgent } from '../../src/fleet/agent/index.js';
import type { Assignment } from '../../src/fleet/assignment.js';
import { fleetCrds } from '../../src/fleet/crds.js';
import { removeTree } from '../../src/fs/remove.js';
import { createLogger } from '../../src/reconcile/log.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { eventually } from '../support/kube.js';
import { clusterFor } from '../support/sync.js';
import { webApp } from '../support/fleet-app.js';
import { kubeconfigWithToken, serviceAccountToken } from '../support/service-account.js';

const name = `tenant-${randomBytes(3).toString('hex')}`;
const hubNs = `ballast-cluster-${name}`;
const tenantNs = `tenant-${randomBytes(3).toString('hex')}`;
const token = `tok_${randomBytes(12).toString('hex')}`;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let hub: Cluster;
let admin: Cluster;
let asAgent: Cluster;
let server: GitServer;
let repo: WorkingClone;
let agent: RunningAgent;
let cache: string;
let agentKubeconfig: string;

const manifests = webApp({ cluster: '${cluster_name}' });

/** A kubeconfig for the agent's ServiceAccount, which holds only the namespace-mode Role. */
async function agentIdentity(spokeKubeconfig: string): Promise<string> {
  const token = await serviceAccountToken(admin, tenantNs, 'ballast-agent');
  return kubeconfigWithToken(spokeKubeconfig, token, join(cache, 'agent-kubeconfig'));
}

beforeAll(async () => {
  const [hubInfo, spokeInfo] = inject('controlPlane').clusters;
  if (hubInfo === undefined || spokeInfo === undefined)
    throw new Error('needs two clusters: BALLAST_TEST_CLUSTERS=2');
  cache = await mkdtemp(join(tmpdir(), 'ballast-agent-ns-'));
  hub = clusterFor(hubInfo.kubeconfig);
  admin = clusterFor(spokeInfo.kubeconfig);
  await waitForCrds(hub, await Promise.all(fleetCrds().map((c) => hub.apply(c))), 30_000);
  await waitForCrds(admin, [await admin.apply(applicationCrd())], 30_000);
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
  await repo.writeFile('app/all.yaml', manifests);
  const sha = await repo.commit('one app');
  await repo.push();

  // The tenant's namespace and the namespace-mode RBAC, as an admin would install them.
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: tenantNs } });
  for (const o of agentManifests({ scope: 'namespace', namespace: tenantNs })) await admin.apply(o);
  await admin.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo-creds', namespace: tenantNs },
    data: { token: b64(token) },
  });
  agentKubeconfig = await agentIdentity(spokeInfo.kubeconfig);
  asAgent = Cluster.connect({ kubeconfig: agentKubeconfig });

  agent = await startAgent(
    {
      spoke: asAgent,
      hub,
      source: new GitSource(defaultSourceOptions(join(cache, 'source'))),
      logger: createLogger({ level: 'silent' }),
    },
    {
      clusterName: name,
      namespace: tenantNs,
      scope: 'namespace',
      verification: { mode: 'none', secretName: undefined },
      allowedRepos: [server.httpUrl('apps')],
      heartbeatTimeoutMs: 3_000,
      heartbeatIntervalMs: 1_000,
    },
  );
  const assignment: KubeObject = {
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'Assignment',
    metadata: { name: 'retail.pos', namespace: hubNs },
    spec: {
      fleetApplication: { namespace: 'retail', name: 'pos' },
      cluster: name,
      revision: sha,
      application: {
        source: {
          repoURL: server.httpUrl('apps'),
          targetRevision: sha,
          path: 'app',
          secretRef: { name: 'repo-creds' },
          insecureAllowHttpCredentials: true,
        },
        // Another namespace: in namespace mode everything goes to the agent's own.
        destination: { namespace: 'kube-system' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, interval: '1h' },
      },
      variables: { cluster_name: name },
    },
  };
  await hub.apply(assignment);
});

afterAll(async () => {
  await agent.stop();
  await hub.delete({ apiVersion: 'v1', group: '', kind: 'Namespace', namespace: '', name: hubNs });
  await admin.delete({
    apiVersion: 'v1',
    group: '',
    kind: 'Namespace',
    namespace: '',
    name: tenantNs,
  });
  for (const c of [hub, admin, asAgent]) c.close();
  await repo.remove();
  await server.stop();
  await removeTree(cache);
});

describe('ballast agent in namespace mode, with only a Role in its namespace', () => {
  it('applies the Assignment inside its own namespace, reports it Synced and Healthy, and reverts a scale through namespaced watches', async () => {
    const get = (apiVersion: string, kind: string, n: string) =>
      admin.get({ apiVersion, kind, metadata: { name: n, namespace: tenantNs } });
    await eventually('the Assignment reports Synced and Healthy', 90_000, async () => {
      const a = (await hub.get({
        apiVersion: 'ballast.dev/v1alpha1',
        kind: 'Assignment',
        metadata: { name: 'retail.pos', namespace: hubNs },
      })) as Assignment | undefined;
      return a?.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy';
    });
    expect((await get('v1', 'ConfigMap', 'settings'))?.['data']).toEqual({ cluster: name });
    // The agent's identity really is confined: the apiserver refuses it another namespace.
    const other = await asAgent.http.request('GET', '/api/v1/namespaces/kube-system/configmaps');
    expect(other.status).toBe(403);

    const r = await run(
      toolPath('kubectl'),
      ['-n', tenantNs, 'scale', 'deployment/web', '--replicas=3'],
      {
        env: { KUBECONFIG: inject('controlPlane').clusters[1]?.kubeconfig ?? '' },
        timeoutMs: 60_000,
      },
    );
    expect(r.kind).toBe('ok');
    await eventually('the scale is reverted', 10_000, async () => {
      const d = await get('apps/v1', 'Deployment', 'web');
      return (d?.['spec'] as { replicas?: number } | undefined)?.replicas === 1;
    });
  });
});
