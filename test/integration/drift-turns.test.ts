import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applicationCrd } from '../../src/api/application-crd.js';
import {
  applicationApiVersion,
  parseApplication,
  type Application,
} from '../../src/api/application.js';
import { refOf, type KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { desiredFor, handleDrift } from '../../src/reconcile/drift.js';
import { formatDriftKey } from '../../src/reconcile/drift-key.js';
import { formatAppKey } from '../../src/api/app-key.js';
import { ObservedApp } from '../../src/reconcile/observed.js';
import type { DesiredCache } from '../../src/reconcile/app-state.js';
import { writeStatus } from '../../src/reconcile/status.js';
import { KeyedTurns } from '../../src/reconcile/turns.js';
import { clusterFor } from '../support/sync.js';

let cluster: Cluster;
const ns = `turns-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  cluster = clusterFor(inject('controlPlane').clusters[0]?.kubeconfig ?? '');
  await waitForCrds(cluster, [await cluster.apply(applicationCrd())], 30_000);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
afterAll(() => {
  cluster.close();
});

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within 10 s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the drift path and a reconcile of the same Application', () => {
  it('records a drift found during a reconcile after that reconcile has written its status', async () => {
    const raw = await cluster.apply({
      apiVersion: applicationApiVersion,
      kind: 'Application',
      metadata: { name: 'warned', namespace: ns },
      spec: {
        source: { repoURL: 'https://git.invalid/repo.git', targetRevision: 'main', path: 'app' },
        destination: { namespace: ns },
        syncPolicy: { drift: 'warn' },
      },
    });
    const parsed = parseApplication(raw);
    if (parsed.kind !== 'ok') throw parsed.error;
    const app: Application = parsed.value;
    const key = formatAppKey({ namespace: ns, name: 'warned' });
    const configMap: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
      data: { mode: 'fast' },
    };
    const cache: DesiredCache = {
      revision: 'r1',
      app,
      objects: [{ object: configMap, origin: { file: 'app/cm.yaml', line: 1 } }],
      observed: new ObservedApp(),
    };
    const desired = await desiredFor(cluster, cache, refOf(configMap));
    if (desired === undefined) throw new Error('no desired ConfigMap');
    await cluster.apply(desired);
    const edited = { ...desired, metadata: { ...desired.metadata }, data: { mode: 'slow' } };
    await cluster.http.request(
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/settings?fieldManager=kubectl-edit&force=true`,
      JSON.stringify(edited),
      { 'content-type': 'application/apply-patch+yaml' },
    );

    // A reconcile holds the turn: it read the status before the drift, and writes it back.
    const turns = new KeyedTurns();
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const reconcile = turns.run(key, async () => {
      const read = (await cluster.get(raw)) as Application;
      await held;
      await writeStatus(cluster, read, { ...(read.status ?? {}), drift: [] });
    });
    const drift = handleDrift(
      {
        cluster,
        desired: (k) => (k === key ? cache : undefined),
        requestReconcile: () => undefined,
        onDrift: () => undefined,
        statusTurn: (k, write) => turns.run(k, write),
      },
      formatDriftKey(key, refOf(desired)),
    );
    // The Event goes out at once; the status entry waits for the reconcile's turn to end.
    await eventually('a Drifted Event', async () => {
      const r = await cluster.http.request('GET', `/api/v1/namespaces/${ns}/events`);
      return r.body.includes('"reason":"Drifted"');
    });
    release();
    await reconcile;
    expect(await drift).toEqual({ kind: 'ok' });
    const after = (await cluster.get(raw)) as Application;
    expect(after.status?.drift).toEqual([
      expect.objectContaining({ kind: 'ConfigMap', name: 'settings', manager: 'kubectl-edit' }),
    ]);
    expect(after.status?.conditions).toEqual([
      expect.objectContaining({ type: 'Drifted', status: 'True', reason: 'ManualChange' }),
    ]);
  });
});
