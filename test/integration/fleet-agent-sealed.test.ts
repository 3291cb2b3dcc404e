import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { applicationCrd } from '../../src/api/application-crd.js';
import { waitForCrds } from '../../src/apply/execute.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { agentManifests, startAgent, type RunningAgent } from '../../src/fleet/agent/index.js';
import { createLogger } from '../../src/reconcile/log.js';
import {
  generateSealingKey,
  newSealingKeyName,
  publicKeyOfCert,
  sealingKeySecret,
  sealSecret,
} from '../../src/secrets/sealed/index.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { startHubFixture, type HubFixture } from '../support/hub-controller.js';
import { eventually } from '../support/kube.js';
import { clusterFor } from '../support/sync.js';
import { kubeconfigWithToken, serviceAccountToken } from '../support/service-account.js';

/*
 * A SealedSecret placed on a spoke by a FleetApplication is opened by the agent with the
 * spoke's own sealing key, read with the agent's namespace-mode identity; the hub, which never
 * holds that key, never sees the value either.
 */

const plaintext = `pw-${randomBytes(12).toString('hex')}`;
const tenantNs = `sealed-${randomBytes(3).toString('hex')}`;

let fx: HubFixture;
let admin: Cluster;
let asAgent: Cluster;
let agent: RunningAgent | undefined;
let name = '';
const lines: string[] = [];
const sink = { write: (line: string) => void lines.push(line) };

/** A kubeconfig for the agent's ServiceAccount, which holds only the namespace-mode Role. */
async function agentIdentity(spokeKubeconfig: string): Promise<string> {
  const token = await serviceAccountToken(admin, tenantNs, 'ballast-agent');
  return kubeconfigWithToken(spokeKubeconfig, token, join(fx.dir, 'agent-kubeconfig'));
}

beforeAll(async () => {
  const spokeInfo = inject('controlPlane').clusters[1];
  if (spokeInfo === undefined) throw new Error('needs two clusters: BALLAST_TEST_CLUSTERS=2');
  fx = await startHubFixture(0, { logger: createLogger({ level: 'debug', destination: sink }) });
  name = fx.name('vault');
  admin = clusterFor(spokeInfo.kubeconfig);
  await waitForCrds(admin, [await admin.apply(applicationCrd())], 30_000);
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: tenantNs } });
  for (const o of agentManifests({ scope: 'namespace', namespace: tenantNs })) await admin.apply(o);

  // The spoke's operator makes its key; only the certificate leaves the spoke, to the tenant.
  const pair = await generateSealingKey(undefined, 2048);
  await admin.apply(sealingKeySecret(tenantNs, newSealingKeyName(), pair));
  const sealed = sealSecret(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: tenantNs },
      stringData: { password: plaintext },
    },
    publicKeyOfCert(pair.certPem),
    'strict',
  );
  if (sealed.kind !== 'ok') throw new Error(sealed.problem);
  await fx.repo.writeFile('app/db.yaml', stringify(sealed.sealed));
  await fx.repo.commit('the database password, sealed to the spoke');
  await fx.repo.push();

  asAgent = Cluster.connect({ kubeconfig: await agentIdentity(spokeInfo.kubeconfig) });
  await fx.applyCluster(name, { tier: 'store', region: 'eu' });
  // What registration makes: the Cluster's namespace on the hub, which the agent reads.
  await fx.ensureNamespace(`ballast-cluster-${name}`);
  agent = await startAgent(
    {
      spoke: asAgent,
      hub: fx.admin,
      source: new GitSource(defaultSourceOptions(join(fx.dir, 'agent-source'))),
      logger: createLogger({ level: 'debug', destination: sink }),
    },
    {
      clusterName: name,
      namespace: tenantNs,
      scope: 'namespace',
      fleetNamespace: fx.fleetNs,
      verification: { mode: 'none', secretName: undefined },
      allowedRepos: [fx.repoURL],
      heartbeatTimeoutMs: 3_000,
      heartbeatIntervalMs: 1_000,
    },
  );
  await fx.admin.apply(
    fx.fleetApp('db', {
      template: {
        source: { repoURL: fx.repoURL, targetRevision: 'main', path: 'app' },
        destination: { namespace: 'pos' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, interval: '1h' },
      },
      placement: { clusterNames: [name] },
    }),
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await admin.delete({
    apiVersion: 'v1',
    group: '',
    kind: 'Namespace',
    namespace: '',
    name: tenantNs,
  });
  asAgent.close();
  admin.close();
  await fx.stop();
});

const secretValue = async (): Promise<string | undefined> => {
  const s = await admin.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: tenantNs },
  });
  const v = (s?.data as Record<string, string> | undefined)?.['password'];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
};

async function eventsIn(c: Cluster, namespace: string): Promise<string> {
  const r = await c.http.request('GET', `/api/v1/namespaces/${namespace}/events`);
  expect(r.status, r.body).toBe(200);
  return r.body;
}

describe('a FleetApplication placing a SealedSecret on a namespace-mode spoke', () => {
  it("is opened with the spoke's own key, read as the agent, and the value never reaches the hub's objects, logs or Events", async () => {
    await eventually('the Secret on the spoke holds the value', 60_000, async () => {
      return (await secretValue()) === plaintext;
    });
    await eventually('the Assignment reports Synced', 30_000, async () => {
      const a = await fx.assignment(name, 'db');
      return (a?.status?.['sync'] as { status?: string } | undefined)?.status === 'Synced';
    });
    const hubSide = [
      JSON.stringify(await fx.assignment(name, 'db')),
      JSON.stringify(await fx.get('FleetApplication', fx.appNs, 'db')),
      JSON.stringify(await fx.get('Cluster', fx.fleetNs, name)),
      await eventsIn(fx.admin, fx.appNs),
      await eventsIn(fx.admin, `ballast-cluster-${name}`),
      await eventsIn(admin, tenantNs),
      lines.join('\n'),
    ];
    expect(lines.length).toBeGreaterThan(0);
    const encoded = Buffer.from(plaintext).toString('base64');
    for (const text of hubSide) {
      expect(text).not.toContain(plaintext);
      expect(text).not.toContain(encoded);
    }
  });
});
