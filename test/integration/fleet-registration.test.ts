import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { KubeApiError } from '../../src/cluster/errors.js';
import { fleetCrds } from '../../src/fleet/crds.js';
import { buildCsr, generateAgentKey } from '../../src/fleet/registration/csr.js';
import { buildAssignment } from '../../src/fleet/assignment-build.js';
import { clusterNamespace } from '../../src/fleet/names.js';
import {
  classifyHubError,
  CredentialStoreError,
  createRegistrationToken,
  hubClusterOf,
  obtainHubCredential,
  RegistrationDeniedError,
  RegistrationTokenError,
  renewCredential,
  renewalDue,
  startRenewal,
  startRegistrar,
  type HubCredential,
  type Registrar,
} from '../../src/fleet/registration/index.js';
import { cluster as clusterFixture, fleetApp, sha1 } from '../../src/fleet/testdata/fixtures.js';
import { runCli } from '../support/cli.js';
import { eventually, kubeFor, testNamespace, type TestKube } from '../support/kube.js';

const crdPath = (name: string): string =>
  `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;

async function installCrds(kube: TestKube): Promise<void> {
  for (const crd of fleetCrds()) {
    const r = await kube.apply(crdPath(crd.metadata.name), crd, 'ballast');
    expect([200, 201], r.body).toContain(r.status);
  }
  for (const crd of fleetCrds())
    await eventually(`${crd.metadata.name} is Established`, 30_000, async () => {
      const c = await kube.json<{ status?: { conditions?: { type: string; status: string }[] } }>(
        crdPath(crd.metadata.name),
      );
      return (
        c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ?? false
      );
    });
}

/** The status of one raw request made as `as` (a hub client of some identity). */
async function statusOf(
  as: Cluster,
  method: string,
  path: string,
  body?: object,
  contentType = 'application/merge-patch+json',
): Promise<number> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> =
    payload === undefined ? {} : { 'content-type': contentType };
  return (await as.http.request(method, path, payload, headers)).status;
}

interface CsrSeen {
  status?: { certificate?: string; conditions?: { type: string; reason: string }[] };
}

const csrs = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

const assignments = (ns: string): string =>
  `/apis/ballast.dev/v1alpha1/namespaces/${ns}/assignments`;

describe('registering spoke clusters with the hub', () => {
  const cp = inject('controlPlane');
  const hubConfig = cp.clusters[0]?.kubeconfig ?? '';
  // A second cluster is the spoke when there is one; on one cluster the agent's Secret is there.
  const spokeConfig = cp.clusters[1]?.kubeconfig ?? hubConfig;
  const suffix = randomBytes(3).toString('hex');
  const nameA = `store-a-${suffix}`;
  const nameB = `store-b-${suffix}`;
  let hubKube: TestKube;
  let hub: Cluster;
  let spoke: Cluster;
  let spokeKube: TestKube;
  let fleetNs: string;
  let registrar: Registrar;
  const logs: string[] = [];
  let hubUrl = '';
  let hubCaPem = '';
  let token = '';
  let credA: HubCredential;
  let credB: HubCredential;
  let agentNsA = '';
  let agentNsB = '';

  const agentOpts = (clusterName: string, namespace: string, t: string | undefined) => ({
    clusterName,
    hubUrl,
    hubCaPem,
    token: t,
    tokenSource: '--token-file token',
    namespace,
    waitTimeoutMs: 60_000,
  });

  /** A hub client holding the registration token, as any holder of it may act. */
  const tokenHolder = (): Cluster =>
    Cluster.connectWith({
      server: hubUrl,
      context: 'token holder',
      namespace: undefined,
      credentials: () =>
        Promise.resolve({
          options: { ca: hubCaPem },
          headers: { authorization: `Bearer ${token}` },
        }),
    });

  const csrBody = (name: string, pem: string): object => ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: 'kubernetes.io/kube-apiserver-client',
      usages: ['client auth'],
      expirationSeconds: 3600,
    },
  });

  /** The CSR once the registrar has put a condition on it. */
  async function decided(name: string): Promise<CsrSeen> {
    let csr: CsrSeen = {};
    await eventually(`the registrar decides CSR ${name}`, 30_000, async () => {
      csr = await hubKube.json<CsrSeen>(`${csrs}/${name}`);
      return (csr.status?.conditions ?? []).length > 0;
    });
    return csr;
  }

  beforeAll(async () => {
    hubKube = await kubeFor(hubConfig);
    spokeKube = await kubeFor(spokeConfig);
    hub = Cluster.connect({ kubeconfig: hubConfig });
    spoke = Cluster.connect({ kubeconfig: spokeConfig });
    hubUrl = hubKube.ep.server;
    hubCaPem = hubKube.ep.ca.toString('utf8');
    await installCrds(hubKube);
    fleetNs = await testNamespace(hubKube, 'fleet');
    registrar = startRegistrar(hub, { fleetNamespace: fleetNs, log: (l) => logs.push(l) });
    await registrar.ready;
    token = (await createRegistrationToken(hub, { fleetNamespace: fleetNs, ttlSeconds: 600 }))
      .token;
  }, 120_000);

  afterAll(async () => {
    await registrar.stop();
    hub.close();
    spoke.close();
  });

  it('a token registers a cluster, whose certificate authenticates as its own identity', async () => {
    agentNsA = await testNamespace(spokeKube, 'agent');
    credA = await obtainHubCredential(spoke, agentOpts(nameA, agentNsA, token));
    expect(credA.identity).toMatch(new RegExp(`^ballast:cluster:${nameA}:[0-9a-f]{16}$`));
    expect(credA.notAfter.getTime() - credA.notBefore.getTime()).toBeGreaterThan(23 * 3600_000);

    const asA = hubClusterOf(credA);
    const review = await asA.http.request(
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      { 'content-type': 'application/json' },
    );
    expect(review.status, review.body).toBe(201);
    const user = (
      JSON.parse(review.body) as { status: { userInfo: { username: string; groups: string[] } } }
    ).status.userInfo;
    expect(user.username).toBe(credA.identity);
    expect(user.groups).toEqual(['system:authenticated']);
    asA.close();

    const c = await hubKube.json<{
      metadata: { annotations: Record<string, string> };
      status: { registered: boolean };
    }>(`/apis/ballast.dev/v1alpha1/namespaces/${fleetNs}/clusters/${nameA}`);
    expect(c.status.registered).toBe(true);
    expect(c.metadata.annotations['ballast.dev/registered-identity']).toBe(credA.identity);
    expect((await hubKube.get(`/api/v1/namespaces/${clusterNamespace(nameA)}`)).status).toBe(200);

    // The key stays on the spoke, in the agent's Secret, and in no log line.
    const secret = await spokeKube.json<{ data: Record<string, string> }>(
      `/api/v1/namespaces/${agentNsA}/secrets/ballast-hub-credential`,
    );
    expect(Buffer.from(secret.data['tls.key'] ?? '', 'base64').toString()).toContain('PRIVATE KEY');
    expect(logs.join('\n')).not.toContain('PRIVATE KEY');
    expect(logs.join('\n')).toContain(`approved registration of cluster "${nameA}"`);
  }, 90_000);

  it('an agent restarted with its stored credential sends no CSR and does not register again', async () => {
    const before = await hubKube.json<{ items: { metadata: { name: string } }[] }>(
      '/apis/certificates.k8s.io/v1/certificatesigningrequests',
    );
    const again = await obtainHubCredential(spoke, agentOpts(nameA, agentNsA, undefined));
    expect(again.certificatePem).toBe(credA.certificatePem);
    expect(again.identity).toBe(credA.identity);
    const after = await hubKube.json<{ items: { metadata: { name: string } }[] }>(
      '/apis/certificates.k8s.io/v1/certificatesigningrequests',
    );
    expect(after.items.map((i) => i.metadata.name)).toEqual(
      before.items.map((i) => i.metadata.name),
    );
    expect(after.items.filter((i) => i.metadata.name.includes(nameA))).toHaveLength(1);
    // Asked to be another cluster, it refuses to overwrite the identity it holds.
    const other = await obtainHubCredential(
      spoke,
      agentOpts(`store-x-${suffix}`, agentNsA, token),
    ).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(CredentialStoreError);
    expect((other as Error).message).toContain(`holds the hub credential of cluster "${nameA}"`);
  }, 60_000);

  it('a second cluster asking for a registered name is denied, and told how to proceed', async () => {
    const ns = await testNamespace(spokeKube, 'agent');
    const err = await obtainHubCredential(spoke, agentOpts(nameA, ns, token)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistrationDeniedError);
    expect((err as RegistrationDeniedError).reason).toBe('NameTaken');
    expect((err as Error).message).toContain(`cluster name "${nameA}" is already registered`);
    expect((err as Error).message).toContain(`ballast fleet deregister ${nameA}`);
    // The first registration is untouched.
    const c = await hubKube.json<{ metadata: { annotations: Record<string, string> } }>(
      `/apis/ballast.dev/v1alpha1/namespaces/${fleetNs}/clusters/${nameA}`,
    );
    expect(c.metadata.annotations['ballast.dev/registered-identity']).toBe(credA.identity);
  }, 90_000);

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

  it('two agents racing for one free name: one registers, the other is denied', async () => {
    const name = `store-race-${suffix}`;
    const [ns1, ns2] = await Promise.all([
      testNamespace(spokeKube, 'agent'),
      testNamespace(spokeKube, 'agent'),
    ]);
    const results = await Promise.allSettled([
      obtainHubCredential(spoke, agentOpts(name, ns1, token)),
      obtainHubCredential(spoke, agentOpts(name, ns2, token)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected');
    expect((lost?.reason as RegistrationDeniedError).reason).toBe('NameTaken');
  }, 90_000);

  it('a revoked token is refused with a message saying what to do, and a malformed one before any request', async () => {
    const revoked = await createRegistrationToken(hub, {
      fleetNamespace: fleetNs,
      ttlSeconds: 600,
    });
    expect(
      (await hubKube.del(`/api/v1/namespaces/${fleetNs}/secrets/${revoked.secret}`)).status,
    ).toBe(200);
    const probe = Cluster.connectWith({
      server: hubUrl,
      context: 'probe',
      namespace: undefined,
      credentials: () =>
        Promise.resolve({
          options: { ca: hubCaPem },
          headers: { authorization: `Bearer ${revoked.token}` },
        }),
    });
    await eventually(
      'the apiserver refuses the revoked token',
      30_000,
      async () => (await probe.http.request('GET', '/api')).status === 401,
    );
    probe.close();
    const ns = await testNamespace(spokeKube, 'agent');
    const err = await obtainHubCredential(
      spoke,
      agentOpts(`store-r-${suffix}`, ns, revoked.token),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistrationTokenError);
    expect((err as RegistrationTokenError).kind).toBe('refused');
    expect((err as Error).message).toBe(
      `--token-file token: the hub ${hubUrl} refused the registration token (401 Unauthorized): it has expired, was revoked (its Secret deleted) or belongs to another hub; run \`ballast fleet token create\` on the hub for a new one`,
    );
    expect((err as Error).message).not.toContain(revoked.token);

    const nsBad = await testNamespace(spokeKube, 'agent');
    const bad = await obtainHubCredential(
      spoke,
      agentOpts(`store-m-${suffix}`, nsBad, 'my-token\n'),
    ).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RegistrationTokenError);
    const secret = `/api/v1/namespaces/${nsBad}/secrets/ballast-hub-credential`;
    expect((await spokeKube.get(secret)).status).toBe(404);
    expect((bad as Error).message).toBe(
      '--token-file token: not a registration token (expected three base64url parts joined by dots, as a JWT); it should hold exactly what `ballast fleet token create` printed',
    );
  }, 90_000);

  it('fleet token create prints only a token, refuses a ttl under 10m, and its token registers', async () => {
    const short = await runCli([
      'fleet',
      'token',
      'create',
      '--ttl',
      '5m',
      '--kubeconfig',
      hubConfig,
      '--fleet-namespace',
      fleetNs,
    ]);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--ttl 5m: a registration token must live at least 10m');
    const r = await runCli([
      'fleet',
      'token',
      'create',
      '--ttl',
      '15m',
      '--kubeconfig',
      hubConfig,
      '--fleet-namespace',
      fleetNs,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    expect(r.stderr).toContain(`kubectl -n ${fleetNs} delete secret ballast-registration-token-`);
    agentNsB = await testNamespace(spokeKube, 'agent');
    credB = await obtainHubCredential(spoke, agentOpts(nameB, agentNsB, r.stdout));
    expect(credB.identity).toContain(`ballast:cluster:${nameB}:`);
  }, 90_000);

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

  it('fleet deregister takes the identity off the hub: it gets 403, its namespace goes, the agent reads it as deregistered', async () => {
    const r = await runCli([
      'fleet',
      'deregister',
      nameA,
      '--kubeconfig',
      hubConfig,
      '--fleet-namespace',
      fleetNs,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`cluster "${nameA}" deregistered`);
    const asA = hubClusterOf(credA);
    const info = {
      group: 'ballast.dev',
      version: 'v1alpha1',
      resource: 'assignments',
      kind: 'Assignment',
      namespaced: true,
      verbs: ['list'],
    };
    // The apiserver's RBAC follows deletions through its informers: allow it a moment.
    let denied: unknown;
    await eventually("the hub refuses A's list of its own Assignments", 10_000, async () => {
      denied = await asA
        .list(info, { namespace: clusterNamespace(nameA) })
        .catch((e: unknown) => e);
      return denied instanceof KubeApiError;
    });
    expect(denied).toBeInstanceOf(KubeApiError);
    expect((denied as KubeApiError).status).toBe(403);
    expect(classifyHubError(denied, credA.identity, nameA).kind).toBe('deregistered');
    expect(
      await statusOf(
        asA,
        'PATCH',
        `/apis/ballast.dev/v1alpha1/namespaces/${fleetNs}/clusters/${nameA}/status`,
        { status: { agentVersion: 'x' } },
      ),
    ).toBe(403);
    asA.close();
    await eventually(
      `namespace ${clusterNamespace(nameA)} is gone`,
      60_000,
      async () =>
        (await hubKube.get(`/api/v1/namespaces/${clusterNamespace(nameA)}`)).status === 404,
    );
    // B is unaffected.
    const asB = hubClusterOf(credB);
    expect(await statusOf(asB, 'GET', assignments(clusterNamespace(nameB)))).toBe(200);
    asB.close();
    const again = await runCli([
      'fleet',
      'deregister',
      nameA,
      '--kubeconfig',
      hubConfig,
      '--fleet-namespace',
      fleetNs,
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`cluster "${nameA}": nothing registered under that name`);
  }, 120_000);
});
