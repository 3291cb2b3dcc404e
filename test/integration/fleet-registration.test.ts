import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { KubeApiError } from '../../src/cluster/errors.js';
import { clusterNamespace } from '../../src/fleet/names.js';
import {
  classifyHubError,
  CredentialStoreError,
  createRegistrationToken,
  hubClusterOf,
  obtainHubCredential,
  RegistrationDeniedError,
  RegistrationTokenError,
  type HubCredential,
} from '../../src/fleet/registration/index.js';
import { runCli } from '../support/cli.js';
import { assignments, startTestHub, statusOf, type TestHub } from '../support/registration-hub.js';
import { eventually, testNamespace, type TestKube } from '../support/kube.js';

describe('registering spoke clusters with the hub', () => {
  const cp = inject('controlPlane');
  const suffix = randomBytes(3).toString('hex');
  const nameA = `store-a-${suffix}`;
  const nameB = `store-b-${suffix}`;
  let h: TestHub;
  let hubKube: TestKube;
  let hub: Cluster;
  let spoke: Cluster;
  let spokeKube: TestKube;
  let fleetNs: string;
  let logs: string[];
  let hubUrl: string;
  let token: string;
  let agentOpts: TestHub['agentOpts'];
  let credA: HubCredential;
  let credB: HubCredential;
  let agentNsA = '';
  let agentNsB = '';

  beforeAll(async () => {
    h = await startTestHub(cp);
    ({ hubKube, hub, spoke, spokeKube, fleetNs, logs, hubUrl, token, agentOpts } = h);
  }, 120_000);

  afterAll(async () => {
    await h.stop();
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
    // Nor on the hub: no Secret there holds it (on a one-cluster run, the spoke's own agent
    // namespace is on the same apiserver and is left out).
    const keyPem = credA.key.export({ type: 'pkcs8', format: 'pem' }).toString();
    const hubSecrets = await hubKube.json<{
      items: { metadata: { namespace: string }; data?: Record<string, string> }[];
    }>('/api/v1/secrets');
    const onHub = hubSecrets.items.filter((x) => x.metadata.namespace !== agentNsA);
    // At least the registration token's Secret is there.
    expect(onHub.length).toBeGreaterThan(0);
    const values = onHub.flatMap((x) => Object.values(x.data ?? {}));
    expect(values.some((v) => Buffer.from(v, 'base64').toString().includes(keyPem))).toBe(false);
    expect(logs.join('\n')).toContain(`approved registration of cluster "${nameA}"`);
    // Every decision went through at the first try, with only registrarControllerRole's rights.
    expect(logs.join('\n')).not.toContain('not decided');
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

  it('an agent starting with a certificate past two thirds of its life renews it before using it', async () => {
    // Read 17 h on: a 24 h certificate is then due for renewal, but still valid.
    const later = (): number => Date.now() + 17 * 3600_000;
    const renewed = await obtainHubCredential(spoke, {
      ...agentOpts(nameA, agentNsA, undefined),
      clock: later,
    });
    expect(renewed.identity).toBe(credA.identity);
    expect(renewed.certificatePem).not.toBe(credA.certificatePem);
    expect(logs.join('\n')).toContain(`approved renewal of cluster "${nameA}"`);
    // The renewed credential is what the spoke holds now, and it is not due again.
    const again = await obtainHubCredential(spoke, agentOpts(nameA, agentNsA, undefined));
    expect(again.certificatePem).toBe(renewed.certificatePem);
    credA = renewed;
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

  it('a registration sent while the registrar is down is approved once it is back, with one CSR', async () => {
    const name = `store-late-${suffix}`;
    const ns = await testNamespace(spokeKube, 'agent');
    await h.pauseRegistrar();
    const pending = obtainHubCredential(spoke, agentOpts(name, ns, token));
    const listed = async (): Promise<string[]> =>
      (
        await hubKube.json<{ items: { metadata: { name: string } }[] }>(
          '/apis/certificates.k8s.io/v1/certificatesigningrequests',
        )
      ).items
        .map((i) => i.metadata.name)
        .filter((n) => n.startsWith(`ballast-register-${name}-`));
    await eventually('the agent has sent its CSR', 30_000, async () => (await listed()).length > 0);
    await h.resumeRegistrar();
    const cred = await pending;
    expect(cred.identity).toContain(`ballast:cluster:${name}:`);
    expect(await listed()).toHaveLength(1);
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
          options: { ca: h.hubCaPem },
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
      h.hubConfig,
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
      h.hubConfig,
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

  it('fleet deregister takes the identity off the hub: it gets 403, its namespace goes, the agent reads it as deregistered', async () => {
    const r = await runCli([
      'fleet',
      'deregister',
      nameA,
      '--kubeconfig',
      h.hubConfig,
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
    // The apiserver's RBAC follows deletions through its informers: allow it a moment. A
    // first list of a CRD's kind may also get 429 while its watch cache fills, which the
    // agent reads as the hub being busy, not as deregistration.
    let denied: unknown;
    await eventually("the hub refuses A's list of its own Assignments", 10_000, async () => {
      denied = await asA
        .list(info, { namespace: clusterNamespace(nameA) })
        .catch((e: unknown) => e);
      return denied instanceof KubeApiError && denied.status === 403;
    });
    expect(denied).toBeInstanceOf(KubeApiError);
    expect((denied as KubeApiError).status, (denied as Error).message).toBe(403);
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
      h.hubConfig,
      '--fleet-namespace',
      fleetNs,
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`cluster "${nameA}": nothing registered under that name`);
  }, 120_000);
});
