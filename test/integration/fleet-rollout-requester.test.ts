import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { hubLabels } from '../../src/fleet/hub/index.js';
import { fleetRequestedByManifests } from '../../src/fleet/hub/requester-policy.js';
import type { FleetApplication } from '../../src/fleet/index.js';
import { rolloutAnnotations } from '../../src/fleet/names.js';
import { sha1, sha2 } from '../../src/fleet/testdata/fixtures.js';
import { runCli } from '../support/cli.js';
import {
  createFleetApp,
  installFleetCrds,
  serviceAccountKubeconfig,
} from '../support/fleet-hub.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';

/*
 * The hub's ledger names whoever a FleetApplication's requested-by annotation and
 * spec.rollback.requestedBy say asked for a rollout action. The admission policy that
 * `ballast install --hub` ships must hold both to the user the apiserver authenticated.
 */

let kube: TestKube;
let ns: string;
let operator: string;
const me = (): string => `system:serviceaccount:${ns}:default`;
const temp = tempDirs();

const path = (): string => `/apis/ballast.dev/v1alpha1/namespaces/${ns}/fleetapplications/pos`;

/** A merge patch of the FleetApplication, as the operator's ServiceAccount. */
async function patchAsOperator(patch: object): Promise<{ status: number; body: string }> {
  const cluster = Cluster.connect({ kubeconfig: operator });
  try {
    return await cluster.http.request('PATCH', path(), JSON.stringify(patch), {
      'content-type': 'application/merge-patch+json',
    });
  } finally {
    cluster.close();
  }
}

beforeAll(async () => {
  const kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  kube = await kubeFor(kubeconfig);
  await installFleetCrds(kube);
  for (const o of fleetRequestedByManifests(hubLabels)) {
    const plural =
      o.kind === 'ValidatingAdmissionPolicy'
        ? 'validatingadmissionpolicies'
        : 'validatingadmissionpolicybindings';
    const r = await kube.apply(
      `/apis/admissionregistration.k8s.io/v1/${plural}/${o.metadata.name}`,
      o,
      'ballast',
    );
    expect([200, 201], r.body).toContain(r.status);
  }
  ns = await testNamespace(kube, 'rollout-by');
  await createFleetApp(kube, ns, {
    rollout: {
      revision: sha2,
      fromRevision: sha1,
      phase: 'Progressing',
      strategy: 'progressive',
      startedAt: '2026-12-07T10:00:00Z',
      rollback: false,
      paused: false,
      groups: [{ name: 'canary', clusters: 1, done: 0, updating: 1, failed: 0, complete: false }],
      failedCount: 0,
      message: 'rolling out',
    },
  });
  operator = await serviceAccountKubeconfig(kube, {
    adminKubeconfig: kubeconfig,
    namespace: ns,
    rules: [
      {
        apiGroups: ['ballast.dev'],
        resources: ['fleetapplications'],
        verbs: ['get', 'list', 'patch'],
      },
      { apiGroups: ['ballast.dev'], resources: ['assignments', 'clusters'], verbs: ['list'] },
    ],
    dir: await temp.make('rollout-by'),
  });
});

afterAll(async () => {
  await kube.del(`/api/v1/namespaces/${ns}`);
  await temp.removeAll();
});

const stored = (): Promise<FleetApplication> => kube.json<FleetApplication>(path());

describe('the ballast-fleet-requested-by admission policy', () => {
  it('lets `ballast fleet rollout pause`, `promote` and `undo` record the authenticated user', async () => {
    const fleet = (...args: string[]) =>
      runCli(['fleet', 'rollout', ...args, 'pos', '-n', ns, '--kubeconfig', operator]);
    // The RBAC authorizer learns of the new RoleBinding from a watch, a moment later.
    await eventually(
      'the operator may patch',
      10_000,
      async () => (await fleet('pause')).code === 0,
    );
    let app = await stored();
    expect(app.spec.rollout.paused).toBe(true);
    expect(app.metadata.annotations?.[rolloutAnnotations.requestedBy]).toBe(me());

    const promoted = await fleet('promote');
    expect(promoted.code, promoted.stderr).toBe(0);
    app = await stored();
    expect(app.metadata.annotations?.[rolloutAnnotations.promote]).toBe(
      `${sha2}/2026-12-07T10:00:00Z/canary`,
    );

    const undone = await fleet('undo', '--reason', 'canary broke');
    expect(undone.code, undone.stderr).toBe(0);
    app = await stored();
    expect(app.spec.rollback).toMatchObject({
      revision: sha1,
      reason: 'canary broke',
      requestedBy: me(),
    });
  });

  it('refuses, in the apiserver, a write naming someone else as who asked for a pause, a promotion or an undo', async () => {
    const forgedPause = await patchAsOperator({
      metadata: { annotations: { [rolloutAnnotations.requestedBy]: 'kubernetes-admin' } },
      spec: { rollout: { paused: false } },
    });
    expect(forgedPause.status).toBe(403);
    expect(forgedPause.body).toContain(`must name whoever makes this request (${me()})`);

    const forgedUndo = await patchAsOperator({
      spec: {
        rollback: {
          revision: sha2,
          reason: '',
          requestedBy: 'kubernetes-admin',
          requestedAt: '2026-12-07T11:00:00Z',
        },
      },
    });
    expect(forgedUndo.status).toBe(403);
    expect(forgedUndo.body).toContain('spec.rollback.requestedBy must name');

    // A name carried over is fine only when the write asks for nothing attributed to it.
    const label = await patchAsOperator({ metadata: { labels: { team: 'retail' } } });
    expect(label.status, label.body).toBe(200);
  });
});
