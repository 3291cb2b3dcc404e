import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadSigningKey } from '../../src/audit/checkpoint.js';
import { CheckpointingLedger, defaultCheckpointOptions } from '../../src/audit/checkpointing.js';
import { openLedger } from '../../src/audit/open.js';
import type { Ledger } from '../../src/audit/types.js';
import { Cluster } from '../../src/cluster/cluster.js';
import { kubeRequest } from '../../src/dev/kube.js';
import {
  defaultRequesterPolicyOptions,
  RequesterPolicyWatch,
} from '../../src/reconcile/requester-policy.js';
import { runCli } from '../support/cli.js';
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';

// The published checkpoint lives in the cluster, and the requester check reads admission
// policies there: both against the real apiserver of cluster-1.
let dir = '';
let kubeconfig = '';
let kube: TestKube;
let ns = '';
let controller: ControllerProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-audit-signing-'));
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  kube = await kubeFor(kubeconfig);
  ns = await testNamespace(kube, 'audit-signing');
});

afterAll(async () => {
  await controller?.stop();
  await kube.del(`/api/v1/namespaces/${ns}`);
  await rm(dir, { recursive: true, force: true });
});

async function appendMany(ledger: Ledger, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++)
    await ledger.append({
      kind: 'resume',
      app: { namespace: 'shop', name: 'web' },
      actor: `u${i}`,
    });
}

describe('the controller publishes the signed ledger head outside the database', () => {
  it('a tail cut off together with its checkpoints passes the database alone but not the published ConfigMap', async () => {
    const ledgerFile = join(dir, 'audit.db');
    const keyFile = join(dir, 'ledger.key');
    expect((await runCli(['audit', 'keygen', '--out', join(dir, 'ledger')])).code).toBe(0);
    // 30 records signed, then 10 that the controller finds unsigned when it starts.
    const signed = await CheckpointingLedger.open(
      await openLedger(`sqlite:${ledgerFile}`),
      { signer: await loadSigningKey(keyFile), onError: (e) => expect.fail(e.message) },
      defaultCheckpointOptions(),
    );
    await appendMany(signed, 1, 30);
    await signed.close();
    const plain = await openLedger(`sqlite:${ledgerFile}`);
    await appendMany(plain, 31, 40);
    await plain.close();

    controller = startControllerProcess(join(dir, 'controller.log'), [
      ...['--kubeconfig', kubeconfig, '-n', ns, '--cache-dir', join(dir, 'cache')],
      ...['--port', '0', '--bind-address', '127.0.0.1'],
      ...['--ledger', `sqlite:${ledgerFile}`, '--ledger-signing-key', keyFile],
      ...['--ledger-checkpoint-configmap', `${ns}/ballast-ledger-checkpoint`],
    ]);
    const cmPath = `/api/v1/namespaces/${ns}/configmaps/ballast-ledger-checkpoint`;
    await eventually('the controller published a checkpoint', 60_000, async () => {
      return (await kube.get(cmPath)).status === 200;
    });
    await controller.stop();
    controller = undefined;

    const verify = (...extra: string[]): ReturnType<typeof runCli> =>
      runCli([
        'audit',
        'verify',
        '--ledger',
        ledgerFile,
        '--public-key',
        join(dir, 'ledger.pub'),
        ...extra,
      ]);
    const fromCluster = ['--checkpoint-configmap', `${ns}/ballast-ledger-checkpoint`];
    const intact = await verify(...fromCluster, '--kubeconfig', kubeconfig);
    expect(intact.stdout).toContain('ledger intact: 40 records');
    expect(intact.stdout).toContain('through seq 40');
    expect(intact.code).toBe(0);

    const db = new DatabaseSync(ledgerFile);
    const head = db.prepare('SELECT hash FROM ballast_audit_records WHERE seq = 35').get();
    db.exec('DELETE FROM ballast_audit_records WHERE seq > 35');
    db.exec('DELETE FROM ballast_audit_checkpoints WHERE seq > 30');
    db.prepare('UPDATE ballast_audit_head SET seq = 35, hash = ? WHERE one = 1').run(
      String(head?.['hash']),
    );
    db.close();
    expect((await verify()).code).toBe(0);
    const cut = await verify(...fromCluster, '--kubeconfig', kubeconfig);
    expect(cut.stderr).toContain(
      'truncated: records 36..40 missing: the published checkpoint at seq 40',
    );
    expect(cut.code).toBe(1);
  });
});

describe('whether the controller may call a requester verified', () => {
  const api = '/apis/admissionregistration.k8s.io/v1';
  const name = `ballast-requested-by-${randomBytes(3).toString('hex')}`;
  let cluster: Cluster;

  beforeAll(() => {
    cluster = Cluster.connect({ kubeconfig });
  });

  afterAll(async () => {
    await kube.del(`${api}/validatingadmissionpolicybindings/${name}`);
    await kube.del(`${api}/validatingadmissionpolicies/${name}`);
    cluster.close();
  });

  const binding = (actions: string[]): object => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName: name, validationActions: actions },
  });

  it('claimed without the policy, verified once it and a denying binding exist, claimed again when it only warns', async () => {
    const watch = await RequesterPolicyWatch.start(cluster, {
      ...defaultRequesterPolicyOptions(),
      policyName: name,
      onError: (e) => expect.fail(String(e)),
    });
    try {
      expect(watch.check()).toBe('unenforced');
      const policy = await kube.post(`${api}/validatingadmissionpolicies`, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ['ballast.dev'],
                apiVersions: ['*'],
                operations: ['CREATE', 'UPDATE'],
                resources: ['applications'],
              },
            ],
          },
          validations: [{ expression: 'true' }],
        },
      });
      expect(policy.status).toBe(201);
      expect(await watch.refresh()).toBe('unenforced');
      expect(
        (await kube.post(`${api}/validatingadmissionpolicybindings`, binding(['Deny']))).status,
      ).toBe(201);
      expect(await watch.refresh()).toBe('enforced');
      // A merge patch replaces the list: the binding now only warns.
      const warn = await kubeRequest(
        kube.ep,
        'PATCH',
        `${api}/validatingadmissionpolicybindings/${name}`,
        { spec: { validationActions: ['Warn'] } },
        { contentType: 'application/merge-patch+json' },
      );
      expect(warn.status).toBe(200);
      expect(await watch.refresh()).toBe('unenforced');
    } finally {
      watch.stop();
    }
  });
});
