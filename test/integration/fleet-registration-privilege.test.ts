import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';
import { buildAssignment } from '../../src/fleet/assignment-build.js';
import { clusterNamespace } from '../../src/fleet/names.js';
import { buildCsr, generateAgentKey } from '../../src/fleet/registration/csr.js';
import {
  hubClusterOf,
  obtainHubCredential,
  renewCredential,
  renewalDue,
  startRenewal,
  type HubCredential,
} from '../../src/fleet/registration/index.js';
import { cluster as clusterFixture, fleetApp, sha1 } from '../../src/fleet/testdata/fixtures.js';
import {
  assignments,
  csrBody,
  csrs,
  startTestHub,
  statusOf,
  type TestHub,
} from '../support/registration-hub.js';
import { eventually, testNamespace, type TestKube } from '../support/kube.js';

describe("a registered cluster's hub identity: least privilege and renewal", () => {
  const cp = inject('controlPlane');
  const suffix = randomBytes(3).toString('hex');
  const nameA = `store-a-${suffix}`;
  const nameB = `store-b-${suffix}`;
  let h: TestHub;
  let hubKube: TestKube;
  let spoke: Cluster;
  let spokeKube: TestKube;
  let fleetNs: string;
  let logs: string[];
  let token: string;
  let agentOpts: TestHub['agentOpts'];
  let tokenHolder: TestHub['tokenHolder'];
  let decided: TestHub['decided'];
  let credA: HubCredential;
  let credB: HubCredential;
  let agentNsA = '';
  let agentNsB = '';

  beforeAll(async () => {
    h = await startTestHub(cp);
    ({ hubKube, spoke, spokeKube, fleetNs, logs, token, agentOpts, tokenHolder, decided } = h);
    agentNsA = await testNamespace(spokeKube, 'agent');
    agentNsB = await testNamespace(spokeKube, 'agent');
    credA = await obtainHubCredential(spoke, agentOpts(nameA, agentNsA, token));
    credB = await obtainHubCredential(spoke, agentOpts(nameB, agentNsB, token));
  }, 120_000);

  afterAll(async () => {
    await h.stop();
  });

  it("a token holder who copies a registered cluster's identity from its CSR gets no certificate", async () => {
    // The registrar account may list CSRs, so every token holder can read A's common name.
    const holder = tokenHolder();
    const listed = await holder.http.request('GET', csrs);
    expect(listed.status).toBe(200);
    expect(listed.body).toContain(`ballast-register-${nameA}-${credA.registrationId}`);
    const copy = `copy-${suffix}`;
    const body = csrBody(copy, buildCsr(generateAgentKey(), credA.identity));
    expect(await statusOf(holder, 'POST', csrs, body, 'application/json')).toBe(201);
    holder.close();
    const csr = await decided(copy);
    expect(csr.status?.conditions?.map((c) => `${c.type}/${c.reason}`)).toEqual([
      'Denied/NameTaken',
    ]);
    expect(csr.status?.certificate).toBeUndefined();
  }, 60_000);

  it("a token holder asking for an Organization (a group, such as kubeadm's cluster admins) gets no certificate", async () => {
    const holder = tokenHolder();
    const id = randomBytes(8).toString('hex');
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const dir = await mkdtemp(join(tmpdir(), 'ballast-csr-'));
    let pem: string;
    try {
      await writeFile(join(dir, 'k.pem'), key.export({ type: 'pkcs8', format: 'pem' }));
      // system:masters itself is refused by the apiserver (CertificateSubjectRestriction);
      // kubeadm binds cluster-admin to this group.
      const subject = `/O=kubeadm:cluster-admins/CN=ballast:cluster:store-o-${suffix}:${id}`;
      pem = execFileSync('openssl', ['req', '-new', '-key', join(dir, 'k.pem'), '-subj', subject], {
        encoding: 'utf8',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const name = `group-${suffix}`;
    expect(await statusOf(holder, 'POST', csrs, csrBody(name, pem), 'application/json')).toBe(201);
    holder.close();
    const csr = await decided(name);
    expect(csr.status?.conditions?.map((c) => `${c.type}/${c.reason}`)).toEqual([
      'Denied/SubjectNotAllowed',
    ]);
    expect(csr.status?.certificate).toBeUndefined();
    const c = await hubKube.get(
      `/apis/ballast.dev/v1alpha1/namespaces/${fleetNs}/clusters/store-o-${suffix}`,
    );
    expect(c.status).toBe(404);
  }, 60_000);

  it("a cluster's identity may do only its own work: the hub apiserver refuses the rest", async () => {
    const nsA = clusterNamespace(nameA);
    const nsB = clusterNamespace(nameB);
    for (const [name, ns] of [
      [nameA, nsA],
      [nameB, nsB],
    ] as const) {
      const a = buildAssignment({
        fleetApplication: fleetApp({}, { namespace: 'retail' }),
        cluster: clusterFixture(name),
        revision: sha1,
        variables: { cluster_name: name },
      });
      const r = await hubKube.post(assignments(ns), a);
      expect(r.status, r.body).toBe(201);
    }
    const own = `${assignments(nsA)}/retail.pos`;
    const asA = hubClusterOf(credA);
    // Refused: another cluster's Assignments, its own Assignment's spec, another Cluster's status.
    expect(await statusOf(asA, 'GET', assignments(nsB))).toBe(403);
    expect(await statusOf(asA, 'GET', `${assignments(nsB)}/retail.pos`)).toBe(403);
    expect(await statusOf(asA, 'PATCH', own, { spec: { revision: 'c'.repeat(40) } })).toBe(403);
    expect(await statusOf(asA, 'DELETE', own)).toBe(403);
    expect(
      await statusOf(asA, 'POST', assignments(nsA), {
        apiVersion: 'ballast.dev/v1alpha1',
        kind: 'Assignment',
        metadata: { name: 'x' },
      }),
    ).toBe(403);
    const clusters = `/apis/ballast.dev/v1alpha1/namespaces/${fleetNs}/clusters`;
    expect(
      await statusOf(asA, 'PATCH', `${clusters}/${nameB}/status`, {
        status: { agentVersion: 'evil' },
      }),
    ).toBe(403);
    expect(
      await statusOf(asA, 'PATCH', `${clusters}/${nameA}`, {
        metadata: { annotations: { 'ballast.dev/registered-identity': 'x' } },
      }),
    ).toBe(403);
    expect(await statusOf(asA, 'GET', `/api/v1/namespaces/${fleetNs}/secrets`)).toBe(403);
    expect(
      await statusOf(asA, 'GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests'),
    ).toBe(403);
    // Allowed: list its Assignments, write their status, its Lease, its Cluster's status.
    expect(await statusOf(asA, 'GET', assignments(nsA))).toBe(200);
    expect(
      await statusOf(asA, 'PATCH', `${own}/status`, { status: { sync: { status: 'Synced' } } }),
    ).toBe(200);
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'ballast-agent' },
      spec: { holderIdentity: nameA, leaseDurationSeconds: 60 },
    };
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${nsA}/leases`;
    expect(await statusOf(asA, 'POST', leases, lease, 'application/json')).toBe(201);
    expect(
      await statusOf(asA, 'PATCH', `${leases}/ballast-agent`, {
        spec: { renewTime: new Date().toISOString().replace('Z', '000Z') },
      }),
    ).toBe(200);
    expect(
      await statusOf(asA, 'PATCH', `${clusters}/${nameA}/status`, {
        status: { agentVersion: '0.1.0' },
      }),
    ).toBe(200);
    asA.close();
  }, 90_000);

  it('a renewal is requested with the current certificate and keeps the identity; another identity cannot renew it', async () => {
    const renewed = await renewCredential(spoke, credA, {
      namespace: agentNsA,
      secretName: 'ballast-hub-credential',
      expirationSeconds: 3600,
      waitTimeoutMs: 60_000,
      pollIntervalMs: 300,
      clock: Date.now,
    });
    expect(renewed.identity).toBe(credA.identity);
    expect(renewed.certificatePem).not.toBe(credA.certificatePem);
    const asRenewed = hubClusterOf(renewed);
    expect(await statusOf(asRenewed, 'GET', assignments(clusterNamespace(nameA)))).toBe(200);
    asRenewed.close();
    expect(logs.join('\n')).toContain(`approved renewal of cluster "${nameA}"`);
    // B asks for a certificate of A's identity: the registrar denies it, and B cannot read
    // A's renewal request (its RBAC names only its own).
    const asB = hubClusterOf(credB);
    expect(
      await statusOf(asB, 'GET', `${csrs}/ballast-renew-${nameA}-${credA.registrationId}`),
    ).toBe(403);
    const stolen = `steal-${suffix}`;
    const body = csrBody(stolen, buildCsr(generateAgentKey(), credA.identity));
    expect(await statusOf(asB, 'POST', csrs, body, 'application/json')).toBe(201);
    asB.close();
    const csr = await decided(stolen);
    expect(csr.status?.conditions?.map((c) => `${c.type}/${c.reason}`)).toEqual([
      'Denied/RequesterNotAllowed',
    ]);
    expect(csr.status?.certificate).toBeUndefined();
    credA = renewed;
  }, 90_000);

  it('the renewal loop renews at once a certificate with under a third of its life left, and reports it', async () => {
    // A credential read as issued 3 h ago for 4 h: two thirds are gone, so renewal is due.
    const aged = {
      ...credB,
      notBefore: new Date(Date.now() - 3 * 3600_000),
      notAfter: new Date(Date.now() + 3600_000),
    };
    expect(renewalDue(aged).getTime()).toBeLessThan(Date.now());
    const renewedTo: HubCredential[] = [];
    const errors: unknown[] = [];
    const loop = startRenewal(
      spoke,
      aged,
      {
        namespace: agentNsB,
        secretName: 'ballast-hub-credential',
        expirationSeconds: 3600,
        waitTimeoutMs: 60_000,
        pollIntervalMs: 300,
        clock: Date.now,
      },
      { onRenewed: (c) => renewedTo.push(c), onError: (e) => errors.push(e), retryMs: 1_000 },
    );
    try {
      await eventually('the loop renews B', 60_000, () => Promise.resolve(renewedTo.length > 0));
    } finally {
      loop.stop();
    }
    expect(errors).toEqual([]);
    expect(loop.current().identity).toBe(credB.identity);
    expect(loop.current().certificatePem).not.toBe(credB.certificatePem);
    // The next renewal is two thirds into the new certificate's hour, not now.
    expect(renewalDue(loop.current()).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    // A restarted agent reads the renewed credential from the spoke.
    const stored = await obtainHubCredential(spoke, agentOpts(nameB, agentNsB, undefined));
    expect(stored.certificatePem).toBe(loop.current().certificatePem);
    credB = loop.current();
  }, 90_000);
});
